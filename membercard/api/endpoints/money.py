"""Money at the counter: sell a card from this store's stock, top up, take a purchase.

Each endpoint calls one ledger service under the request's ``Idempotency-Key`` and answers
201 with the operation, rendered from what was stored (see ``render.py``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from membercard.api import idempotency, schemas, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import idempotency_key_param, operation_response, responses
from membercard.api.endpoints.cards import CardNumber
from membercard.ledger.services import purchase, sell_card, top_up
from membercard.loyalty.services import find_or_register_member

router = Router(tags=["money"])

MONEY_ERRORS = (400, 403, 404, 409, 429)
IDEMPOTENCY_NOTE = " Needs an `Idempotency-Key` header; a replay answers like the first time."


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
    member = None
    if body.member is not None:
        member = find_or_register_member(
            actor=actor, name=body.member.name, mobile=body.member.mobile
        )
    operation, replayed = idempotency.run(
        idempotency_key,
        lambda: sell_card(
            actor=actor,
            card_number=card.number,
            initial_value_minor=body.initial_value,
            tender=body.tender,
            idempotency_key=idempotency_key,
            member=member,
            pin=body.pin,
        ),
    )
    return operation_response(operation, replayed=replayed)


@router.post(
    "/{number}/top-ups",
    response=responses(201, schemas.OperationOut, *MONEY_ERRORS),
    summary="Top up a card",
    description="Only for products that let stores top up (`stores_may_top_up`); otherwise "
    "403 `not_permitted` (HQ tops those up)." + IDEMPOTENCY_NOTE,
)
def add_value(
    request: HttpRequest,
    body: schemas.TopUpIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with scope.money_on_card(request, actor, number) as card_number:
        operation, replayed = idempotency.run(
            idempotency_key,
            lambda: top_up(
                actor=actor,
                card_number=card_number,
                amount_minor=body.amount,
                tender=body.tender,
                idempotency_key=idempotency_key,
            ),
        )
    return operation_response(operation, replayed=replayed)


@router.post(
    "/{number}/purchases",
    response=responses(201, schemas.OperationOut, *MONEY_ERRORS),
    summary="Take a purchase with the card",
    description="`amount` is the gross amount; the card's discount applies, points are "
    "earned on the net amount. If the balance cannot pay the net amount: 422 "
    "`insufficient_balance`, unless `allow_split` is true, when the balance pays what it "
    "has and the rest is `paid_other` (by `other_tender`). `redeem_points` pays part with "
    "points where the product converts them." + IDEMPOTENCY_NOTE,
)
def pay(
    request: HttpRequest,
    body: schemas.PurchaseIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with scope.money_on_card(request, actor, number) as card_number:
        operation, replayed = idempotency.run(
            idempotency_key,
            lambda: purchase(
                actor=actor,
                card_number=card_number,
                amount_minor=body.amount,
                idempotency_key=idempotency_key,
                pay_with_balance=body.pay_with_balance,
                allow_split=body.allow_split,
                other_tender=body.other_tender or "",
                redeem_points=body.redeem_points,
                pin=body.pin,
                reference=body.reference,
            ),
        )
    return operation_response(operation, replayed=replayed)
