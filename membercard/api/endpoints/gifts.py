"""Gifts at the counter: what this store can give today, and redeeming one for points.

``redemptions`` is mounted under ``/cards`` (a redemption is a money-like request on a
card: ``Idempotency-Key``, 201 rendered from the stored operation); ``router`` under
``/gifts``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from membercard.api import gift_schemas, render, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import responses
from membercard.api.endpoints._money import (
    IDEMPOTENCY_NOTE,
    MONEY_ERRORS,
    answering,
    idempotency_key_param,
)
from membercard.api.endpoints.cards import CardNumber
from membercard.loyalty.gift_selectors import gifts_at
from membercard.operations.gifts import redeem_gift

router = Router(tags=["gifts"])
redemptions = Router(tags=["gifts"])


@router.get(
    "",
    response=responses(200, gift_schemas.GiftList),
    summary="Gifts in stock at this store",
    description="The gifts offered today of which this store holds at least one piece, by "
    "code, with the pieces in stock here and the picture's absolute URL.",
)
def list_gifts(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    items = [
        gift_schemas.GiftOut(
            code=offer.code,
            name=offer.name,
            description=offer.description,
            points_price=offer.points_price,
            quantity=offer.quantity,
            picture_url=request.build_absolute_uri(offer.picture_url)
            if offer.picture_url
            else None,
            active_until=offer.active_until,
        )
        for offer in gifts_at(actor.location, in_stock_only=True)
    ]
    return render.json_response(gift_schemas.GiftList(items=items))


@redemptions.post(
    "/{number}/gift-redemptions",
    response=responses(201, gift_schemas.GiftRedemptionOut, *MONEY_ERRORS),
    summary="Redeem a gift with the card's points",
    description="`quantity` pieces of the gift leave this store's stock and the card pays "
    "`points_price * quantity` points, from the points closest to expiry first. Refused: "
    "404 `gift_not_found`, 422 `gift_not_available` (withdrawn or outside its dates), "
    "`gift_out_of_stock` (too few pieces here), `insufficient_points`, `points_owed`, "
    "`card_not_active`, `wrong_pin` (with `tries_left`) or `pin_locked` (with `locked_until`) "
    "where the card's product needs its PIN to pay. Reverse it like any operation "
    "(`/operations/{id}/reversal`): the points and the pieces come back." + IDEMPOTENCY_NOTE,
)
def redeem(
    request: HttpRequest,
    body: gift_schemas.GiftRedemptionIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with (
        scope.money_on_card(request, actor, number) as card_number,
        answering(request, idempotency_key, out=render.gift_redemption_out) as answer,
    ):
        operation = redeem_gift(
            actor=actor,
            card_number=card_number,
            gift_code=body.gift,
            quantity=body.quantity,
            pin=body.pin,
            read_as=body.read_as,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)
