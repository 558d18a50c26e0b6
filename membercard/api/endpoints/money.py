"""Money at the counter: sell a card from this store's stock, top up, take a purchase.

Each endpoint calls one named service under the request's ``Idempotency-Key`` and answers
201 with the operation, rendered inside its transaction from what was stored (see
``render.py``); the shared steps are in ``_money.py``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from membercard.api import schemas, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import responses
from membercard.api.endpoints._money import (
    IDEMPOTENCY_NOTE,
    MONEY_ERRORS,
    answering,
    idempotency_key_param,
)
from membercard.api.endpoints.cards import CardNumber
from membercard.operations import purchase, sell_card, top_up

router = Router(tags=["money"])


@router.post(
    "/{number}/sale",
    response=responses(201, schemas.OperationOut, *MONEY_ERRORS),
    summary="Sell a card from this store's stock",
    description="The card becomes active with `initial_value` (plus any bonus by the "
    "product's rule); the customer pays initial value, card fee and deposit by `tender`. "
    "With `member`, the card is registered to the member with that mobile (registered "
    "here if new)." + IDEMPOTENCY_NOTE,
)
def sell(
    request: HttpRequest,
    body: schemas.SaleIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    card = scope.card_for_operation(request, actor, number)
    with answering(request, idempotency_key) as answer:
        operation = sell_card(
            actor=actor,
            card_number=card.number,
            initial_value_minor=body.initial_value,
            tender=body.tender,
            member_name=body.member.name if body.member else "",
            member_mobile=body.member.mobile if body.member else "",
            pin=body.pin,
            read_as=body.read_as,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)


@router.post(
    "/{number}/top-ups",
    response=responses(201, schemas.OperationOut, *MONEY_ERRORS),
    summary="Top up a card",
    description="Only for products that let stores top up (`stores_may_top_up`); otherwise "
    "403 `not_permitted` (HQ tops those up). A one-time card is never topped up: 422 "
    "`product_policy`." + IDEMPOTENCY_NOTE,
)
def add_value(
    request: HttpRequest,
    body: schemas.TopUpIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with (
        scope.money_on_card(request, actor, number) as card_number,
        answering(request, idempotency_key) as answer,
    ):
        operation = top_up(
            actor=actor,
            card_number=card_number,
            amount_minor=body.amount,
            tender=body.tender,
            read_as=body.read_as,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)


@router.post(
    "/{number}/purchases",
    response=responses(201, schemas.OperationOut, *MONEY_ERRORS),
    summary="Take a purchase with the card",
    description="`amount` is the gross amount; the card's discount applies, points are "
    "earned on the net amount. If the balance cannot pay the net amount: 422 "
    "`insufficient_balance`, unless `allow_split` is true, when the balance pays what it "
    "has and the rest is `paid_other` (by `other_tender`). `redeem_points` pays part with "
    "points where the product converts them. Where the product needs a PIN to pay, a wrong "
    "`pin` answers 422 `wrong_pin` with `tries_left`; after too many, 422 `pin_locked` with "
    "`locked_until`." + IDEMPOTENCY_NOTE,
)
def pay(
    request: HttpRequest,
    body: schemas.PurchaseIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with (
        scope.money_on_card(request, actor, number) as card_number,
        answering(request, idempotency_key) as answer,
    ):
        operation = purchase(
            actor=actor,
            card_number=card_number,
            amount_minor=body.amount,
            pay_with_balance=body.pay_with_balance,
            allow_split=body.allow_split,
            other_tender=body.other_tender or "",
            redeem_points=body.redeem_points,
            pin=body.pin,
            reference=body.reference,
            read_as=body.read_as,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)
