"""A one-time card handed back at the counter (``operations.hand_back``): the deposit, and
value left where the product pays it out, paid back by a tender; the card stays here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from membercard.api import render, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import responses
from membercard.api.endpoints._money import (
    IDEMPOTENCY_NOTE,
    MONEY_ERRORS,
    answering,
    idempotency_key_param,
)
from membercard.api.endpoints.cards import CardNumber
from membercard.api.hand_back_schemas import HandBackIn, HandBackOut
from membercard.operations.hand_back import hand_back_card

router = Router(tags=["money"])


@router.post(
    "/{number}/hand-back",
    response=responses(201, HandBackOut, *MONEY_ERRORS),
    summary="Take a one-time card back",
    description="An active one-time card is handed back: its deposit is paid back by "
    "`tender` (`deposit_refunded`). Value left on the card is paid out with it where the "
    "product says so (`value_paid_out`: the principal; the bonus is kept, "
    "`bonus_forfeited`), else refused with 422 `product_policy` (spend it first). Points "
    "lapse. The card stays at this store: `recovered` (to check), or `in_stock` with "
    "`fit_to_sell`. A rechargeable card: 422 `product_policy`; a card not active: 422 "
    "`invalid_transition`." + IDEMPOTENCY_NOTE,
)
def hand_back(
    request: HttpRequest,
    body: HandBackIn,
    number: str = CardNumber,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    actor = actor_of(request)
    with (
        scope.money_on_card(request, actor, number) as card_number,
        answering(request, idempotency_key, out=render.hand_back_out) as answer,
    ):
        operation = hand_back_card(
            actor=actor,
            card_number=card_number,
            tender=body.tender or "",
            fit_to_sell=body.fit_to_sell,
            read_as=body.read_as,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)
