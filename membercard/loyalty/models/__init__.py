"""Loyalty tables: members, the per-product loyalty program (policy, tiers, campaigns),
each card's standing (tier, points owed), its points lots, and the gift catalog and stock.

The cards app's tables are left alone: everything loyalty keeps about a card or a
product lives here, keyed by the card or product.
"""

from membercard.loyalty.models.gifts import Gift, GiftMovementKind, GiftStock, GiftStockMovement
from membercard.loyalty.models.members import Member, MemberAccessLog
from membercard.loyalty.models.points import LotEvent, PointsLot, PointsLotEntry
from membercard.loyalty.models.programs import (
    Campaign,
    LoyaltyPolicy,
    PointsExpiry,
    PrepaidLimits,
    Tier,
    TierReviewPeriod,
)
from membercard.loyalty.models.standing import (
    CardStanding,
    TierChange,
    TierChangeKind,
    TierReview,
)

__all__ = [
    "Campaign",
    "CardStanding",
    "Gift",
    "GiftMovementKind",
    "GiftStock",
    "GiftStockMovement",
    "LotEvent",
    "LoyaltyPolicy",
    "Member",
    "MemberAccessLog",
    "PointsExpiry",
    "PointsLot",
    "PointsLotEntry",
    "PrepaidLimits",
    "Tier",
    "TierChange",
    "TierChangeKind",
    "TierReview",
    "TierReviewPeriod",
]
