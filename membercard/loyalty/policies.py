"""Loyalty policy of a product, and the dates it decides: lot expiry, tier windows,
period ends. Pure functions apart from ``policy_for`` (one read)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from membercard.loyalty.models import LoyaltyPolicy, PointsExpiry, TierReviewPeriod

if TYPE_CHECKING:
    from membercard.cards.models import CardProduct


def policy_for(product: CardProduct) -> LoyaltyPolicy:
    """The product's loyalty policy; the defaults (unsaved) when it has none."""
    policy = LoyaltyPolicy.objects.filter(product=product).first()
    return policy if policy is not None else LoyaltyPolicy(product=product)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), the month's last day where it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lot_expiry(policy: LoyaltyPolicy, earned_on: dt.date) -> dt.date | None:
    """The last day points earned on ``earned_on`` can be used.

    * months: the day before the same date N months later (earned 15 Mar, 12 months:
      usable through 14 Mar next year);
    * year_end / next_year_end: 31 December of the year earned / the year after;
    * never: no expiry.
    """
    if policy.points_expiry == PointsExpiry.MONTHS:
        return add_months(earned_on, policy.points_validity_months) - dt.timedelta(days=1)
    if policy.points_expiry == PointsExpiry.YEAR_END:
        return dt.date(earned_on.year, 12, 31)
    if policy.points_expiry == PointsExpiry.NEXT_YEAR_END:
        return dt.date(earned_on.year + 1, 12, 31)
    return None


def window_start(policy: LoyaltyPolicy, until: dt.date) -> dt.date | None:
    """Tier thresholds count operations with business dates after this (None: all time)."""
    if policy.tier_window_months is None:
        return None
    return add_months(until, -policy.tier_window_months)


_REVIEW_MONTHS = {
    TierReviewPeriod.MONTHLY: frozenset(range(1, 13)),
    TierReviewPeriod.QUARTERLY: frozenset({1, 4, 7, 10}),
    TierReviewPeriod.YEARLY: frozenset({1}),
}


def starts_review_period(policy: LoyaltyPolicy, day: dt.date) -> bool:
    """``day`` is the first day after a review period of this policy ended."""
    months = _REVIEW_MONTHS.get(TierReviewPeriod(policy.tier_review))
    return months is not None and day.day == 1 and day.month in months
