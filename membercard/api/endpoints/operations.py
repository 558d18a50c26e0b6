"""Operations of this store: read one (with transfers and receipt), refund, reverse.

Another store's operations answer exactly like operations that do not exist (404).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router

from membercard.api import render, schemas, scope
from membercard.api.auth import actor_of
from membercard.api.endpoints import MAX_ID, responses
from membercard.api.endpoints._money import IDEMPOTENCY_NOTE, answering, idempotency_key_param
from membercard.operations import refund, reverse

router = Router(tags=["operations"])

OperationId = Path(..., ge=1, le=MAX_ID, description="The operation id.", examples=[1042])


@router.get(
    "/{id}",
    response=responses(200, schemas.OperationDetailOut, 404),
    summary="One operation of this store, with its transfers and receipt",
)
def get_operation(request: HttpRequest, id: int = OperationId) -> HttpResponse:
    operation = scope.store_operation(actor_of(request), id)
    transfers = render.transfers_of([operation])[operation.pk]
    return render.json_response(render.operation_detail_out(operation, transfers))


@router.post(
    "/{id}/refunds",
    response=responses(201, schemas.OperationOut, 400, 403, 404, 409),
    summary="Refund (part of) a purchase made at this store",
    description="Value goes back to the card buckets it came from, the part paid otherwise "
    "back by the same tender, and the points earned are taken back pro rata. Several "
    "partial refunds may not exceed the purchase (`refund_exceeds_purchase`). A terminal "
    "refunds under the counter rule: a purchase of the open business day, up to "
    "`MEMBERCARD_COUNTER_REFUND_LIMIT` refunded on it in all; anything else needs a store "
    "manager in the web app (403 `refund_needs_manager`, with the `limit`)." + IDEMPOTENCY_NOTE,
)
def refund_purchase(
    request: HttpRequest,
    body: schemas.RefundIn,
    id: int = OperationId,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    with answering(request, idempotency_key) as answer:
        operation = refund(
            actor=actor_of(request),
            operation_id=id,
            amount_minor=body.amount,
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    return answer.response(operation)


@router.post(
    "/{id}/reversal",
    response=responses(201, schemas.OperationOut, 403, 404, 409),
    summary="Reverse an operation of the open business day",
    description="A terminal may reverse its own sales, top-ups, purchases, refunds and gift "
    "redemptions (the pieces go back to stock) of the open business day; other cases need a "
    "manager in the web app (403 `not_permitted`). No body." + IDEMPOTENCY_NOTE,
)
def reverse_operation(
    request: HttpRequest,
    id: int = OperationId,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    with answering(request, idempotency_key) as answer:
        operation = reverse(
            actor=actor_of(request), operation_id=id, idempotency_key=idempotency_key
        )
    return answer.response(operation)
