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
from membercard.approvals import thresholds
from membercard.approvals.models import ApprovalRequest
from membercard.approvals.refunds import request_refund
from membercard.core.errors import RefundNeedsApproval
from membercard.operations import reverse

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
    "refunds by itself under the counter rule: a purchase of the open business day, less "
    "than the refund threshold refunded on it in all (HQ sets it on the approval thresholds "
    "page; default `MEMBERCARD_COUNTER_REFUND_LIMIT`). Anything else is filed as an approval "
    "request and answered 403 `refund_needs_approval` with its `request_id` and the "
    "`threshold_minor`: a store manager approves (or rejects) it at the store's web counter; "
    "nothing is refunded until then. A replay of the same key answers the same 403 (no second "
    "request). `GET /approval-requests/{request_id}` tells how it ended (`operation_id` once "
    "approved); the refund also appears on the card's operations at this store, made as "
    "this terminal." + IDEMPOTENCY_NOTE,
)
def refund_purchase(
    request: HttpRequest,
    body: schemas.RefundIn,
    id: int = OperationId,
    idempotency_key: str = idempotency_key_param(),
) -> HttpResponse:
    with answering(request, idempotency_key) as answer:
        done = request_refund(
            actor=actor_of(request),
            operation_id=id,
            amount_minor=body.amount,
            reason=body.reason,
            idempotency_key=idempotency_key,
        )
    if isinstance(done, ApprovalRequest):
        raise RefundNeedsApproval(
            request_id=done.pk, threshold_minor=thresholds.current().refund_minor
        )
    return answer.response(done)


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
