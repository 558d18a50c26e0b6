"""A card's whole history for the HQ back office: its operations, stock movements, tier
changes and points lots. Read-only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from membercard.cards.models import Card
from membercard.inventory.models import StockMovement
from membercard.ledger.models import Operation, OperationKind, Transfer
from membercard.loyalty.models import PointsLot, TierChange


@dataclass(frozen=True)
class CardHistory:
    # Newest first, each with ``transfers`` prefetched; a replacement card's list also holds
    # the replacement that issued it (posted on the old card, ``related_card`` this one).
    operations: list[Operation]
    stock_movements: list[StockMovement]
    tier_changes: list[TierChange]
    points_lots: list[PointsLot]


def card_history(card: Card) -> CardHistory:
    """Everything recorded about ``card``: every ledger operation with its transfers (and the
    replacement that moved a lost card's value onto it), every stock movement, every tier
    change and every points lot (with its entries)."""
    transfers = Transfer.objects.select_related("debit_account", "credit_account").order_by("pk")
    operations = (
        Operation.objects.filter(
            Q(card=card) | Q(related_card=card, kind=OperationKind.CARD_REPLACEMENT)
        )
        .select_related("location", "staff", "terminal", "reverses", "card", "related_card")
        .prefetch_related(Prefetch("transfers", queryset=transfers))
        .order_by("-pk")
    )
    movements = StockMovement.objects.filter(card=card).select_related(
        "from_location", "to_location", "staff", "terminal", "operation", "handover"
    )
    tier_changes = TierChange.objects.filter(card=card).select_related(
        "from_tier", "to_tier", "staff", "terminal", "location"
    )
    lots = PointsLot.objects.filter(card=card).select_related("operation").order_by("-pk")
    return CardHistory(
        operations=list(operations),
        stock_movements=list(movements.order_by("-pk")),
        tier_changes=list(tier_changes.order_by("-pk")),
        points_lots=list(lots),
    )
