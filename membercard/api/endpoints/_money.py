"""What every money request shares: the ``Idempotency-Key`` header, running one ledger
service under it, and the 201 answer rendered from the operation it returned.

An endpoint declares its body and path, then hands its service and that service's own
arguments to ``money_response`` (an operation's id in the path) or ``card_money_response``
(a card number in the path, scoped by ``scope.money_on_card``). The helper adds the
``actor`` and ``idempotency_key`` arguments (and ``card_number``), tells a replay
(``idempotency.run``) and answers; a refusal propagates to the problem+json handlers
(``errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header

from membercard.api import idempotency, render, scope
from membercard.api.auth import actor_of
from membercard.api.idempotency import HEADER, REPLAYED_HEADER
from membercard.ledger.models import Operation

MONEY_ERRORS = (400, 403, 404, 409, 429)
IDEMPOTENCY_NOTE = " Needs an `Idempotency-Key` header; a replay answers like the first time."

Render = Callable[[Operation], Any]


def idempotency_key_param() -> Any:
    return Header(
        ...,
        alias=HEADER,
        max_length=255,
        description="Required on every money-changing request; unique per terminal and kept "
        "at least 7 days. The same key with the same request replays the first response "
        "(same status and body, plus `Idempotent-Replayed: true`); with a different "
        "request it is refused with 409 `idempotency_conflict`.",
        examples=["till1-20261123-0042"],
    )


def operation_response(
    operation: Operation,
    *,
    replayed: bool,
    out: Render = render.operation_out,
) -> HttpResponse:
    """A money request's answer (201), rendered by ``out`` from the operation the service
    returned (the first one, on a replay) and the card's transfers up to it (see
    render.py)."""
    return render.json_response(
        out(render.with_related(operation)),
        status=201,
        headers={REPLAYED_HEADER: "true"} if replayed else None,
    )


def money_response(
    request: HttpRequest,
    key: str,
    service: Callable[..., Operation],
    /,
    *,
    out: Render = render.operation_out,
    **arguments: Any,
) -> HttpResponse:
    """Call ``service(actor=…, idempotency_key=key, **arguments)`` under ``key`` and answer
    201 with the operation rendered by ``out`` (``Idempotent-Replayed: true`` on a
    replay)."""
    actor = actor_of(request)
    operation, replayed = idempotency.run(
        key, lambda: service(actor=actor, idempotency_key=key, **arguments)
    )
    return operation_response(operation, replayed=replayed, out=out)


def card_money_response(
    request: HttpRequest,
    number: str,
    key: str,
    service: Callable[..., Operation],
    /,
    *,
    out: Render = render.operation_out,
    **arguments: Any,
) -> HttpResponse:
    """``money_response`` on the card ``number`` names: the service also gets
    ``card_number``, and a refusal on a card this key may not see answers 404 like a card
    that does not exist (``scope.money_on_card``)."""
    actor = actor_of(request)
    with scope.money_on_card(request, actor, number) as card_number:
        operation, replayed = idempotency.run(
            key,
            lambda: service(actor=actor, card_number=card_number, idempotency_key=key, **arguments),
        )
    return operation_response(operation, replayed=replayed, out=out)
