"""``membercard review-tiers [--date YYYY-MM-DD]``: the period-end tier review.

For every product whose review period ended the day before the date (default: today's
business date), cards whose figures no longer hold their tier move down. Done once per
product and date: running it again changes nothing. Each card is its own transaction; the
audit row goes with the first one that commits.
"""

from __future__ import annotations

import datetime as dt

from membercard.core.actors import system_actor
from membercard.core.calendar import today
from membercard.loyalty.models import TierReview
from membercard.loyalty.services import review_tiers
from membercard.ops.management.audited import AuditedCommand


class Command(AuditedCommand):
    help = "Review membership tiers at the end of their period (idempotent)."
    audit_name = "review-tiers"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def audit_args(self, options: dict) -> list[str]:
        return [f"--date={options.get('date') or today()}"]

    def work(self, *, date: dt.date | None = None, **options) -> list[TierReview]:
        return review_tiers(actor=system_actor(), on=date or today())

    def report(self, result: list[TierReview], *, date: dt.date | None = None, **options) -> None:
        on = date or today()
        if not result:
            self.stdout.write(f"review-tiers {on.isoformat()}: no review due")
        for review in result:
            self.stdout.write(
                f"review-tiers {on.isoformat()} {review.product.code}: "
                f"{review.cards_downgraded} of {review.cards_reviewed} card(s) moved down"
            )
