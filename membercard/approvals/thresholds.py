"""When a request is needed: the thresholds HQ set (the latest approved row), else the
``MEMBERCARD_APPROVAL_*`` settings. "At or above the threshold" needs a second person, so a
threshold of 0 sends every such action for approval."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from membercard.approvals.models import ApprovalThresholds


@dataclass(frozen=True)
class Thresholds:
    adjustment_minor: int  # value (principal, bonus) adjustments
    points_adjustment: int  # points adjustments, in points
    hq_top_up_minor: int
    lifetime_hours: int
    refund_minor: int  # counter refunds (cashier, terminal) on one purchase, in all

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def adjustment_needs_approval(self, *, bucket: str, delta: int) -> bool:
        threshold = self.points_adjustment if bucket == "points" else self.adjustment_minor
        return abs(delta) >= threshold

    def top_up_needs_approval(self, *, amount_minor: int) -> bool:
        return amount_minor >= self.hq_top_up_minor


def defaults() -> Thresholds:
    return Thresholds(
        adjustment_minor=settings.MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD,
        points_adjustment=settings.MEMBERCARD_APPROVAL_POINTS_ADJUSTMENT_THRESHOLD,
        hq_top_up_minor=settings.MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD,
        lifetime_hours=settings.MEMBERCARD_APPROVAL_LIFETIME_HOURS,
        refund_minor=settings.MEMBERCARD_COUNTER_REFUND_LIMIT,
    )


def current() -> Thresholds:
    row = ApprovalThresholds.objects.order_by("-id").first()
    if row is None:
        return defaults()
    return Thresholds(
        adjustment_minor=row.adjustment_minor,
        points_adjustment=row.points_adjustment,
        hq_top_up_minor=row.hq_top_up_minor,
        lifetime_hours=row.lifetime_hours,
        refund_minor=row.refund_minor,
    )
