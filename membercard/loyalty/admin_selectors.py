"""Reads for the HQ back office: a card's full history, the member list.

Read-only. Listing several members is a bulk read of member data and is recorded with the
loyalty audit helper (``log_access``), like ``selectors.search_members``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.inventory.models import StockMovement
from membercard.ledger.models import Operation, Transfer
from membercard.loyalty.audit import log_access
from membercard.loyalty.models import Member, PointsLot, TierChange
from membercard.loyalty.services.members import MEMBER_ROLES


@dataclass(frozen=True)
class CardHistory:
    operations: list[Operation]  # newest first, each with ``transfers`` prefetched
    stock_movements: list[StockMovement]
    tier_changes: list[TierChange]
    points_lots: list[PointsLot]


def card_history(card: Card) -> CardHistory:
    """Everything recorded about ``card``: every ledger operation with its transfers, every
    stock movement, every tier change and every points lot (with its entries)."""
    transfers = Transfer.objects.select_related("debit_account", "credit_account").order_by("pk")
    operations = (
        Operation.objects.filter(card=card)
        .select_related("location", "staff", "terminal", "reverses")
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


def members_for_hq(actor: Actor) -> QuerySet[Member]:
    """Every member, for HQ's member list (HQ staff who may look members up)."""
    actor.require_hq(_("list members"))
    actor.require(MEMBER_ROLES, _("look members up"))
    return Member.objects.select_related("registered_at")


def record_member_listing(
    actor: Actor, *, count: int, query: str, page: int, address: str = ""
) -> None:
    """A page listing several members is a bulk read: audited (never the search text
    itself, which may be a mobile number)."""
    if count > 1:
        log_access(
            actor,
            "member.list",
            count=count,
            data={"searched": bool(query), "page": page},
            address=address,
        )
