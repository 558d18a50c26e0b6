"""``membercard expire-points [--date YYYY-MM-DD]``: the daily points expiry.

Expires, through the ledger, every points lot whose last day is before the date
(default: today's business date). Running it again for the same date changes nothing.
Each card is its own transaction; the audit row goes with the first one that commits.
"""

from __future__ import annotations

import datetime as dt

from membercard.core.actors import system_actor
from membercard.core.calendar import today
from membercard.operations.expiry import ExpiryRun, expire_points
from membercard.ops.management.audited import AuditedCommand


class Command(AuditedCommand):
    help = "Expire the points lots past their last day (idempotent)."
    audit_name = "expire-points"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def audit_args(self, options: dict) -> list[str]:
        return [f"--date={options.get('date') or today()}"]

    def work(self, *, date: dt.date | None = None, **options) -> ExpiryRun:
        return expire_points(actor=system_actor(), on=date or today())

    def report(self, result: ExpiryRun, **options) -> None:
        self.stdout.write(
            f"expire-points {result.on.isoformat()}: {result.points} points expired "
            f"on {len(result.operations)} card(s)"
        )
