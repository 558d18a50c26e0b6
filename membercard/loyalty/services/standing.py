"""A card's loyalty standing row: read it, and keep the points it owes.

Plain helpers for business operations; the caller holds the card's row lock.
"""

from __future__ import annotations

from membercard.cards.models import Card
from membercard.loyalty.models import CardStanding


def standing_of(card: Card) -> CardStanding:
    """The card's standing, created (no tier, nothing owed) if it has none yet."""
    standing, _ = CardStanding.objects.select_related("tier").get_or_create(card=card)
    return standing


def points_owed(card: Card) -> int:
    row = CardStanding.objects.filter(card=card).values_list("points_owed", flat=True).first()
    return row or 0


def owe_points(card: Card, points: int) -> None:
    """The card owes ``points`` more (a refund could not take them back)."""
    if points > 0:
        standing = standing_of(card)
        standing.points_owed += points
        standing.save(update_fields=["points_owed", "updated_at"])


def repay_owed(card: Card, earned: int) -> int:
    """Points owed are paid first from points being earned: how many of ``earned`` go to it."""
    owed = points_owed(card)
    repaid = min(owed, max(earned, 0))
    if repaid:
        CardStanding.objects.filter(card=card).update(points_owed=owed - repaid)
    return repaid


def cancel_owed(card: Card, points: int) -> int:
    """Take back up to ``points`` of what the card owes (the refund that made the debt was
    reversed); returns how many were cancelled."""
    owed = points_owed(card)
    cancelled = min(owed, max(points, 0))
    if cancelled:
        CardStanding.objects.filter(card=card).update(points_owed=owed - cancelled)
    return cancelled
