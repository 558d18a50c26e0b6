"""``membercard review-tiers [--date YYYY-MM-DD]``: the period-end tier review.

For every product whose review period ended the day before the date (default: today's
business date), cards whose figures no longer hold their tier move down. Done once per
product and date: running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from membercard.core.actors import system_actor
from membercard.core.calendar import today
from membercard.loyalty.services import review_tiers
from membercard.ops import audit


class Command(BaseCommand):
    help = "Review membership tiers at the end of their period (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, date: dt.date | None = None, **options) -> None:
        on = date or today()
        reviews = review_tiers(actor=system_actor(), on=on)
        audit.record_cli("review-tiers", [f"--date={on}"])
        if not reviews:
            self.stdout.write(f"review-tiers {on.isoformat()}: no review due")
        for review in reviews:
            self.stdout.write(
                f"review-tiers {on.isoformat()} {review.product.code}: "
                f"{review.cards_downgraded} of {review.cards_reviewed} card(s) moved down"
            )
