"""``membercard points-expiring [--days 30] [--date YYYY-MM-DD]``: points whose last day
falls in the coming days, per day (totals only, no member data)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from membercard.loyalty.selectors import points_expiring


class Command(BaseCommand):
    help = "Report the points expiring in the coming days."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, date: dt.date | None = None, days: int = 30, **options) -> None:
        rows = points_expiring(on=date, days=days)
        for row in rows:
            self.stdout.write(
                f"{row.expires_on.isoformat()}  {row.points:>10} points  {row.cards} card(s)"
            )
        total = sum(row.points for row in rows)
        self.stdout.write(f"total: {total} points in the next {days} days")
