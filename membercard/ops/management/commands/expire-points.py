"""``membercard expire-points [--date YYYY-MM-DD]``: the daily points expiry.

Expires, through the ledger, every points lot whose last day is before the date
(default: today's business date). Running it again for the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from membercard.core.actors import system_actor
from membercard.core.calendar import today
from membercard.operations.expiry import expire_points
from membercard.ops import audit


class Command(BaseCommand):
    help = "Expire the points lots past their last day (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, date: dt.date | None = None, **options) -> None:
        on = date or today()
        run = expire_points(actor=system_actor(), on=on)
        audit.record_cli("expire-points", [f"--date={on}"])
        self.stdout.write(
            f"expire-points {on.isoformat()}: {run.points} points expired "
            f"on {len(run.operations)} card(s)"
        )
