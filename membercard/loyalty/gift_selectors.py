"""Reads about gifts for pages, the API and receipts: what a location can offer today, stock
per location, a gift's stock history, and what a redemption receipt prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.core.calendar import today
from membercard.core.errors import NotFound
from membercard.core.models import Location
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.loyalty.models import Gift, GiftStock, GiftStockMovement


def available_gifts(on: dt.date | None = None) -> QuerySet[Gift]:
    """Gifts offered on ``on`` (default today): switched on and within their dates."""
    on = on or today()
    return Gift.objects.filter(
        Q(active_from__isnull=True) | Q(active_from__lte=on),
        Q(active_until__isnull=True) | Q(active_until__gte=on),
        is_active=True,
    )


def picture_url(gift: Gift) -> str | None:
    """The picture's URL under MEDIA_URL (relative to the site), or None without one."""
    return gift.picture.url if gift.picture else None


@dataclass(frozen=True)
class GiftOffer:
    code: str
    name: str
    description: str
    points_price: int
    quantity: int  # in stock at the location
    picture_url: str | None
    active_until: dt.date | None


def gifts_at(
    location: Location, *, on: dt.date | None = None, in_stock_only: bool = False
) -> list[GiftOffer]:
    """The gifts offered today, with how many pieces ``location`` holds (for the counter and
    ``GET /api/v1/gifts``), by code. ``in_stock_only`` leaves out those it has none of."""
    here = GiftStock.objects.filter(gift=OuterRef("pk"), location=location).values("quantity")
    gifts = available_gifts(on).annotate(
        in_stock=Coalesce(Subquery(here[:1]), Value(0), output_field=IntegerField())
    )
    if in_stock_only:
        gifts = gifts.filter(in_stock__gt=0)
    return [
        GiftOffer(
            code=gift.code,
            name=gift.name,
            description=gift.description,
            points_price=gift.points_price,
            quantity=gift.in_stock,
            picture_url=picture_url(gift),
            active_until=gift.active_until,
        )
        for gift in gifts.order_by("code")
    ]


@dataclass(frozen=True)
class StockLine:
    gift_code: str
    gift_name: str
    location_code: str
    location_name: str
    quantity: int


def gift_stock(
    *, gift_code: str | None = None, location: Location | None = None
) -> list[StockLine]:
    """Pieces held per gift and location (every gift, every location unless narrowed)."""
    rows = GiftStock.objects.select_related("gift", "location")
    if gift_code is not None:
        rows = rows.filter(gift__code=gift_code.strip().upper())
    if location is not None:
        rows = rows.filter(location=location)
    return [
        StockLine(
            gift_code=row.gift.code,
            gift_name=row.gift.name,
            location_code=row.location.code,
            location_name=row.location.name,
            quantity=row.quantity,
        )
        for row in rows.order_by("gift__code", "location__code")
    ]


def gift_movements(
    *, gift_code: str, location: Location | None = None, limit: int = 100
) -> list[GiftStockMovement]:
    """A gift's latest stock movements (everywhere, or at ``location``), newest first."""
    rows = GiftStockMovement.objects.filter(gift__code=gift_code.strip().upper())
    if location is not None:
        rows = rows.filter(location=location)
    related = ("location", "other_location", "staff", "terminal", "operation")
    return list(rows.select_related(*related).order_by("-pk")[:limit])


@dataclass(frozen=True)
class RedemptionReceipt:
    receipt_number: str
    store: str
    store_code: str
    time: dt.datetime  # local time of the installation
    business_date: dt.date
    cashier: str
    card: str  # masked
    gift_code: str
    gift_name: str
    quantity: int
    points_price: int
    points_used: int
    points_after: int
    reversed_by: str | None  # the reversal's receipt number, once reversed


def redemption_receipt(operation: Operation) -> RedemptionReceipt:
    """What the receipt of a gift redemption prints."""
    if operation.kind != OperationKind.GIFT_REDEMPTION:
        raise NotFound(_("That operation is not a gift redemption."))
    op = Operation.objects.select_related("location", "staff", "terminal", "card").get(
        pk=operation.pk
    )
    leg = op.transfers.filter(debit_account__kind=AccountKind.CARD_POINTS).first()
    reversal = Operation.objects.filter(reverses=op).first()
    details = op.details
    if op.staff is not None:
        cashier = op.staff.get_full_name() or op.staff.username
    else:
        cashier = op.terminal.name if op.terminal is not None else ""
    return RedemptionReceipt(
        receipt_number=op.receipt_number,
        store=op.location.name,
        store_code=op.location.code,
        time=timezone.localtime(op.created_at),
        business_date=op.business_date,
        cashier=cashier,
        card=op.card.masked_number,
        gift_code=details["gift"],
        gift_name=details["gift_name"],
        quantity=details["quantity"],
        points_price=details["points_price"],
        points_used=leg.amount if leg else details["points_redeemed"],
        points_after=leg.debit_balance_after if leg else 0,
        reversed_by=reversal.receipt_number if reversal else None,
    )
