"""Loyalty services, by sub-domain: members, prepaid limits, tiers, points (lots, earning,
expiry). Each public writer is one business operation; the helpers the ledger services
call inside theirs (``PointsBook``, ``spend_points``, ``purchase_terms``...) are plain
functions."""

from membercard.loyalty.services.limits import current_limits, set_prepaid_limits
from membercard.loyalty.services.members import (
    find_or_register_member,
    link_card,
    normalize_mobile,
    register_and_link,
    register_member,
    update_member,
)
from membercard.loyalty.services.points import PointsBook, spend_points
from membercard.loyalty.services.tiers import review_tiers, set_tier

__all__ = [
    "PointsBook",
    "current_limits",
    "find_or_register_member",
    "link_card",
    "normalize_mobile",
    "register_and_link",
    "register_member",
    "review_tiers",
    "set_prepaid_limits",
    "set_tier",
    "spend_points",
    "update_member",
]
