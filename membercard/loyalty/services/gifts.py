"""Gifts: the catalog (HQ admin) and stock per location (received at HQ, sent to stores,
adjusted with a reason). Redemption for points at the counter is a business operation
(``membercard.operations.gifts``) that uses this stock.

Stock is counted per (gift, location) in a ``GiftStock`` row, changed only with that row
locked, and every change is a ``GiftStockMovement`` (who, when, why, what balance after).
A redemption is one ledger operation (``gift_redemption``): points leave the card's lots
closest to expiry first for the store's ``points_redeemed`` account, and the pieces leave
the store's stock with a movement tied to the operation. The generic ``reverse()`` undoes
it the same business day; ``after_reversal`` puts the pieces back.

Lock order: a service touching a card and stock locks the card first (``lock_cards``),
then the stock rows in primary-key order.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ledger.models import Operation
from membercard.loyalty.errors import GiftNotFound, GiftOutOfStock
from membercard.loyalty.models import Gift, GiftMovementKind, GiftStock, GiftStockMovement

MAX_STOCK_QUANTITY = 1_000_000
EDITABLE = frozenset(
    {"name", "description", "points_price", "active_from", "active_until", "is_active", "picture"}
)


# Catalog -----------------------------------------------------------------------------------


def normalize_code(code: object) -> str:
    return code.strip().upper() if isinstance(code, str) else ""


def find_gift(code: str) -> Gift:
    gift = Gift.objects.filter(code=normalize_code(code)).first()
    if gift is None:
        raise GiftNotFound(gift=str(code)[:32])
    return gift


def _full_clean(gift: Gift) -> None:
    try:
        gift.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(messages[0], field=field) from exc


def _set_picture(gift: Gift, picture: File | None, old_name: str) -> None:
    """Attach ``picture`` (None: remove it), stored as ``gifts/<code>.<ext>``; the file it
    replaces is deleted once the change is committed."""
    gift.picture = picture
    if picture is not None:
        gift.picture.name = f"{gift.code.lower()}{Path(picture.name or '').suffix.lower()}"
    if old_name:
        storage = gift.picture.storage
        transaction.on_commit(lambda: storage.delete(old_name))


@business_operation
def create_gift(
    *,
    actor: Actor,
    code: str,
    name: str,
    points_price: int,
    description: str = "",
    active_from: dt.date | None = None,
    active_until: dt.date | None = None,
    is_active: bool = True,
    picture: File | None = None,
) -> Gift:
    """A new gift in the catalog (HQ admin)."""
    require(actor, Action.MANAGE_GIFTS, _("manage the gift catalog"))
    if Gift.objects.filter(code=normalize_code(code)).exists():
        raise ValidationFailed(_("A gift with this code exists already."), field="code")
    gift = Gift(
        code=normalize_code(code),
        name=name.strip() if isinstance(name, str) else name,
        description=description.strip(),
        points_price=points_price,
        active_from=active_from,
        active_until=active_until,
        is_active=is_active,
        created_by=actor.staff,
        updated_by=actor.staff,
    )
    _check_price(points_price)
    if picture is not None:
        _set_picture(gift, picture, "")
    _full_clean(gift)
    gift.save()
    return gift


@business_operation
def update_gift(*, actor: Actor, code: str, **changes: Any) -> Gift:
    """Change a gift (HQ admin): any of name, description, points_price, active_from,
    active_until, is_active, picture (a file, or None to remove it). The code stays."""
    require(actor, Action.MANAGE_GIFTS, _("manage the gift catalog"))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(
            _("Cannot change: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    gift = Gift.objects.select_for_update().filter(code=normalize_code(code)).first()
    if gift is None:
        raise GiftNotFound(gift=str(code)[:32])
    if "points_price" in changes:
        _check_price(changes["points_price"])
    for field, value in changes.items():
        if field != "picture":
            setattr(gift, field, value.strip() if isinstance(value, str) else value)
    if "picture" in changes:
        _set_picture(gift, changes["picture"], gift.picture.name or "")
    gift.updated_by = actor.staff
    _full_clean(gift)
    gift.save()
    return gift


def _check_price(points_price: object) -> None:
    if isinstance(points_price, bool) or not isinstance(points_price, int) or points_price <= 0:
        raise ValidationFailed(
            _("The price is a whole number of points above zero."), field="points_price"
        )


# Stock -------------------------------------------------------------------------------------


def check_quantity(quantity: object, *, most: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= most:
        raise ValidationFailed(
            _("The quantity is a whole number from 1 to %(most)s.") % {"most": f"{most:,}"},
            field=field,
        )
    return quantity


def lock_stock(gift: Gift, *locations: Location, open_missing: bool = True) -> dict[int, GiftStock]:
    """The gift's stock rows at ``locations``, locked in primary-key order so two transfers
    over the same pair of locations never wait on each other in a cycle. Missing rows are
    opened at 0 (``open_missing``), else left out."""
    if open_missing:
        for location in locations:
            GiftStock.objects.get_or_create(gift=gift, location=location)
    places = {location.pk: location for location in locations}
    rows = GiftStock.objects.select_for_update().filter(gift=gift, location__in=list(places))
    locked = {}
    for row in rows.order_by("pk"):
        row.gift, row.location = gift, places[row.location_id]
        locked[row.location_id] = row
    return locked


def move_stock(
    stock: GiftStock,
    delta: int,
    kind: GiftMovementKind,
    *,
    actor: Actor,
    reason: str = "",
    other_location: Location | None = None,
    operation: Operation | None = None,
) -> GiftStockMovement:
    """Change a locked stock row by ``delta`` and record the movement; never below zero."""
    after = stock.quantity + delta
    if after < 0:
        raise GiftOutOfStock(
            gift=stock.gift.code,
            location=stock.location.code,
            available=stock.quantity,
            needed=-delta,
        )
    stock.quantity = after
    stock.save(update_fields=["quantity", "updated_at"])
    return GiftStockMovement.objects.create(
        gift=stock.gift,
        location=stock.location,
        kind=kind,
        delta=delta,
        balance_after=after,
        other_location=other_location,
        operation=operation,
        reason=reason,
        staff=actor.staff,
        terminal=actor.terminal,
    )


@business_operation
def receive_gift_stock(
    *, actor: Actor, gift_code: str, quantity: int, reason: str = ""
) -> GiftStockMovement:
    """Pieces of a gift arrive at HQ (from the supplier); ``reason``: delivery note etc."""
    require(actor, Action.MOVE_GIFT_STOCK, _("receive gift stock"))
    check_quantity(quantity, most=MAX_STOCK_QUANTITY)
    gift = find_gift(gift_code)
    stock = lock_stock(gift, actor.location)[actor.location.pk]
    return move_stock(
        stock, quantity, GiftMovementKind.RECEIVED, actor=actor, reason=reason.strip()
    )


@business_operation
def send_gift_stock(
    *, actor: Actor, gift_code: str, to_location: Location, quantity: int, note: str = ""
) -> tuple[GiftStockMovement, GiftStockMovement]:
    """HQ sends pieces to a store: out of HQ's stock and into the store's, together."""
    require(actor, Action.MOVE_GIFT_STOCK, _("send gift stock"))
    check_quantity(quantity, most=MAX_STOCK_QUANTITY)
    if to_location.is_hq or not to_location.is_active:
        raise ValidationFailed(_("Gift stock goes to an open store."), field="to_location")
    gift = find_gift(gift_code)
    here = actor.location
    rows = lock_stock(gift, here, to_location)
    note = note.strip()
    out = move_stock(
        rows[here.pk], -quantity, GiftMovementKind.TRANSFER_OUT, actor=actor, reason=note,
        other_location=to_location,
    )  # fmt: skip
    arrived = move_stock(
        rows[to_location.pk], quantity, GiftMovementKind.TRANSFER_IN, actor=actor, reason=note,
        other_location=here,
    )  # fmt: skip
    return out, arrived


@business_operation
def adjust_gift_stock(
    *, actor: Actor, gift_code: str, location: Location, delta: int, reason: str
) -> GiftStockMovement:
    """Correct a location's count by a signed ``delta`` with a reason (counted, damaged,
    lost): HQ for any location, a store manager for their own store."""
    if not actor.at_hq and location.pk != actor.location.pk:
        raise NotPermitted(_("A store adjusts only its own gift stock."))
    require(actor, Action.ADJUST_GIFT_STOCK, _("adjust gift stock"))
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed(_("A stock adjustment needs a reason."), field="reason")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed(_("The adjustment is a whole number, not zero."), field="delta")
    check_quantity(abs(delta), most=MAX_STOCK_QUANTITY, field="delta")
    gift = find_gift(gift_code)
    stock = lock_stock(gift, location)[location.pk]
    return move_stock(stock, delta, GiftMovementKind.ADJUSTMENT, actor=actor, reason=reason.strip())
