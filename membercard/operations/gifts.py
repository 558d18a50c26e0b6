"""Redeeming a gift for points at the counter, and putting its pieces back on a reversal.

A redemption is one ledger operation (``gift_redemption``): points leave the card's lots
closest to expiry first for the store's ``points_redeemed`` account, and the pieces leave
the store's stock with a movement tied to the operation. The generic ``reverse()`` undoes
it the same business day; ``after_reversal`` puts the pieces back.

Lock order: the card first (``lock_cards``), then the stock rows in primary-key order.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from membercard.cards.pins import check_pin, counts_wrong_pins, raises_counted_refusal
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ledger import idempotency
from membercard.ledger.accounts import house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.errors import GiftNotAvailable, GiftOutOfStock
from membercard.loyalty.models import GiftMovementKind
from membercard.loyalty.services.gifts import check_quantity, find_gift, lock_stock, move_stock
from membercard.loyalty.services.points import spend_points
from membercard.operations.checks import ensure_usable
from membercard.operations.posting import post

MAX_REDEEM_QUANTITY = 99


@raises_counted_refusal
@business_operation
@counts_wrong_pins  # the card row locked before anything else: wrong PINs counted under it
def redeem_gift(
    *,
    actor: Actor,
    card_number: str,
    gift_code: str,
    quantity: int,
    idempotency_key: str,
    pin: str | None = None,
    read_as: str = "",
    occurred_at: dt.datetime | None = None,
) -> Operation:
    """Give ``quantity`` pieces of a gift for points at the actor's location: the card pays
    ``points_price * quantity`` from its lots closest to expiry, the pieces leave the
    location's stock. Points pay like money: a card whose product needs a PIN to pay needs
    it here too (wrong PINs counted as at a purchase). The operation is the receipt
    (``redemption_receipt``)."""
    request = {"card": card_number, "gift": gift_code, "quantity": quantity}
    claim = idempotency.claim(
        actor=actor, key=idempotency_key, service="redeem_gift", request=request
    )
    if claim.replay:
        return claim.replay
    require(actor, Action.REDEEM_GIFT, _("redeem gifts"))
    check_quantity(quantity, most=MAX_REDEEM_QUANTITY)
    gift, on = find_gift(gift_code), today()
    if not gift.available_on(on):
        raise GiftNotAvailable(gift=gift.code)
    (card,) = lock_cards(card_number)
    ensure_usable(card)
    check_pin(card, pin)
    # After the card's lock (see the module's lock order); no row yet means none in stock.
    stock = lock_stock(gift, actor.location, open_missing=False).get(actor.location.pk)
    available = stock.quantity if stock is not None else 0
    if available < quantity:
        raise GiftOutOfStock(
            gift=gift.code, location=actor.location.code, available=available, needed=quantity
        )
    points = gift.points_price * quantity
    entry = Entry(
        OperationKind.GIFT_REDEMPTION,
        card,
        fields={
            "read_as": read_as,
            "details": {
                "gift": gift.code,
                "gift_name": gift.name,
                "quantity": quantity,
                "points_price": gift.points_price,
                "points_redeemed": points,
            },
        },
    )
    credit = house_account(AccountKind.POINTS_REDEEMED, location=actor.location)
    book = spend_points(card=card, points=points, entry=entry, credit=credit, on=on)
    operation = post(entry, actor=actor, occurred_at=occurred_at, points=book)
    move_stock(stock, -quantity, GiftMovementKind.REDEEMED, actor=actor, operation=operation)
    return claim.complete(operation)


def after_reversal(*, original: Operation, reversal: Operation, actor: Actor) -> None:
    """Called by ``reverse()`` inside its transaction, the card locked: what gifts kept
    about ``original`` is undone (a redemption's pieces go back to the stock they left)."""
    undo = _AFTER_REVERSAL.get(original.kind)
    if undo is not None:
        undo(original=original, reversal=reversal, actor=actor)


def _restock(*, original: Operation, reversal: Operation, actor: Actor) -> None:
    taken = original.gift_movements.filter(kind=GiftMovementKind.REDEEMED).select_related(
        "gift", "location"
    )
    for movement in taken:
        stock = lock_stock(movement.gift, movement.location)[movement.location_id]
        move_stock(
            stock, -movement.delta, GiftMovementKind.REDEMPTION_REVERSED, actor=actor,
            reason=reversal.reason, operation=reversal,
        )  # fmt: skip


_AFTER_REVERSAL = {OperationKind.GIFT_REDEMPTION: _restock}
