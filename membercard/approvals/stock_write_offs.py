"""Four eyes on write-offs of card stock: a card lost on a handover, and a cancelled batch
order, void cards only once someone other than the maker approves (``APPROVE_STOCK``).

Filing checks everything the inventory action will check (the same inventory functions,
inside a transaction that changes nothing) and keeps a preview of what will be voided:
the handover, its route and the card (number, product, state and place as filed); or the
batch (product, the cards still on order, the cost written off, the reason). While such a
request waits, a second one for the same line or batch is refused (``request_pending``).

The approval applies the inventory action *as the maker* inside its own transaction
(``settle_line``, ``cancel_locked``): the movements name who asked, the request who
approved. A line settled meanwhile, a card that moved, or a batch no longer on order (or
whose cards on order changed) makes the request stale (``request_stale``): nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from membercard.approvals.errors import RequestAlreadyPending
from membercard.approvals.models import ApprovalRequest, RequestKind, waiting
from membercard.cards.models import Batch
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import RequestStale
from membercard.inventory.errors import BatchNotOrdered, HandoverLineNotOpen
from membercard.inventory.services.batches.receiving import batch_to_cancel, cancel_locked
from membercard.inventory.services.handover_discrepancies import (
    Outcome,
    Resolution,
    check_resolution,
    settle_line,
)


def _filing() -> Any:
    """``approvals.services`` (imported here: it imports the kinds, which import this)."""
    from membercard.approvals import services

    return services


def _file(actor: Actor, kind: str, payload: dict, preview: dict, key: str) -> ApprovalRequest:
    return _filing()._file(
        actor=actor, kind=kind, payload=payload, preview=preview, idempotency_key=key
    )


def pending_requests(kind: str, field: str, ids: list[int]) -> dict[int, int]:
    """id (of a line, a batch) -> the pending request of ``kind`` naming it in its payload's
    ``field``, for the pages (a "waiting for approval" link) and the filing check."""
    pending = waiting(ApprovalRequest.objects.filter(kind=kind))
    found: dict[int, int] = {}
    for payload, request_id in pending.filter(**{f"payload__{field}__in": ids}).values_list(
        "payload", "pk"
    ):
        found.setdefault(payload[field], request_id)
    return found


def _refuse_a_second(kind: str, field: str, target: int, message: str) -> None:
    waiting = pending_requests(kind, field, [target]).get(target)
    if waiting is not None:
        raise RequestAlreadyPending(message % {"number": waiting}, request_id=waiting)


# Handover losses ----------------------------------------------------------------------------


def request_handover_loss(
    *, actor: Actor, line_id: int, note: str, idempotency_key: str
) -> ApprovalRequest:
    """A missing card of a handover written off as lost (void): a pending request showing
    the handover, its route and the card; nothing changes until someone else approves."""
    services = _filing()
    payload = {"line_id": line_id, "note": (note or "").strip()}
    filed = services._existing(actor, RequestKind.HANDOVER_LOSS, payload, idempotency_key)
    if filed is not None:
        return filed
    with transaction.atomic():  # resolve_line's checks, the handover locked, nothing kept
        checked = check_resolution(
            actor=actor, line_id=line_id, outcome=Outcome.LOST, note=payload["note"]
        )
        preview = _loss_preview(checked)
    _refuse_a_second(
        RequestKind.HANDOVER_LOSS,
        "line_id",
        line_id,
        _("Writing this card off as lost already waits for approval: request #%(number)d."),
    )
    return _file(actor, RequestKind.HANDOVER_LOSS, payload, preview, idempotency_key)


def _loss_preview(checked: Resolution) -> dict[str, Any]:
    handover, card = checked.handover, checked.line.card
    return {
        "handover": handover.document_number,
        "handover_id": handover.pk,
        "from": handover.from_location.code,
        "to": handover.to_location.code,
        "card": card.number,
        "product": card.product.code,
        "product_name": card.product.name,
        # What the approval checks again: the card as filed.
        "state": str(card.state),
        "location_id": card.location_id,
    }


def apply_handover_loss(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: the card is void and the line lost, as the maker,
    if the line is still open and the card as the request showed it; else ``request_stale``."""
    maker = Actor.for_staff(request.maker)
    payload = request.payload
    try:
        checked = check_resolution(
            actor=maker, line_id=payload["line_id"], outcome=Outcome.LOST, note=payload["note"]
        )
    except HandoverLineNotOpen as settled:
        raise _stale_loss() from settled
    if _loss_preview(checked) != request.preview:
        raise _stale_loss()
    settle_line(maker, checked)


def _stale_loss() -> RequestStale:
    return RequestStale(
        _(
            "This discrepancy was settled, or the card moved, since the request was made. "
            "Nothing changed: reject the request."
        )
    )


# Batch cancellations ------------------------------------------------------------------------


def request_batch_cancel(
    *, actor: Actor, batch_id: int, reason: str, idempotency_key: str
) -> ApprovalRequest:
    """Cancel a batch still on order (its cards void, their cost written off): a pending
    request showing the batch and what it writes off; the orderer may ask, someone else
    approves."""
    services = _filing()
    payload = {"batch_id": batch_id, "reason": (reason or "").strip()}
    filed = services._existing(actor, RequestKind.BATCH_CANCEL, payload, idempotency_key)
    if filed is not None:
        return filed
    with transaction.atomic():  # cancel_batch's checks, the batch locked, nothing kept
        batch, _reason = batch_to_cancel(actor=actor, batch_id=batch_id, reason=payload["reason"])
        preview = _cancel_preview(batch)
    _refuse_a_second(
        RequestKind.BATCH_CANCEL,
        "batch_id",
        batch_id,
        _("Cancelling this batch already waits for approval: request #%(number)d."),
    )
    preview["reason"] = payload["reason"]
    return _file(actor, RequestKind.BATCH_CANCEL, payload, preview, idempotency_key)


def _cancel_preview(batch: Batch) -> dict[str, Any]:
    """The batch and the cards the cancellation voids: those still on order."""
    count = batch.cards.filter(state=CardState.PRODUCED).count()
    return {
        "batch": batch.document_number,
        "batch_id": batch.pk,
        "product": batch.product.code,
        "product_name": batch.product.name,
        "status": str(batch.status),
        "count": count,
        "unit_cost_minor": batch.unit_cost_minor,
        "total_cost_minor": count * batch.unit_cost_minor,
    }


def apply_batch_cancel(request: ApprovalRequest) -> None:
    """Inside the approval's transaction: the batch is cancelled as the maker, if it is
    still on order with the cards the request showed; else ``request_stale``."""
    maker = Actor.for_staff(request.maker)
    payload = request.payload
    try:
        batch, reason = batch_to_cancel(
            actor=maker, batch_id=payload["batch_id"], reason=payload["reason"]
        )
    except BatchNotOrdered as done:
        raise _stale_cancel() from done
    if {**_cancel_preview(batch), "reason": reason} != request.preview:
        raise _stale_cancel()
    cancel_locked(actor=maker, batch=batch, reason=reason)


def _stale_cancel() -> RequestStale:
    return RequestStale(
        _(
            "This batch was received or cancelled, or its cards changed, since the request "
            "was made. Nothing was voided: reject the request."
        )
    )
