"""Four eyes: file a request, approve it (posting exactly once) or reject it; expire the
ones nobody decided.

A maker's action at or above the thresholds (``thresholds``) is not posted: it is
rehearsed (``preview.rehearse``: every check the operation makes, nothing kept) and filed
as a pending request with the preview. Below them it posts at once, as before.

``approve`` posts the operation as the *maker* (``Actor.for_staff(maker)``) with the key
``approval-<id>`` in the maker's scope, and marks the request approved inside that
operation's transaction, after locking the request row and checking it is still pending
and that the posting matches the preview. Two approvals at once: the second waits on the
key, replays the first's operation and finds the request approved with it (no second
posting); an approval racing a rejection finds it decided and rolls back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.approvals import thresholds
from membercard.approvals.kinds import KINDS, Kind, Payload
from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.preview import preview_of, rehearse
from membercard.core.actors import Actor
from membercard.core.errors import (
    IdempotencyConflict,
    NotFound,
    NotPermitted,
    OwnRequest,
    RequestDecided,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Staff, Terminal
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation, inside_operations
from membercard.ledger.models import Operation

MAX_LIFETIME_HOURS = 24 * 30


# Filing -------------------------------------------------------------------------------


def request_adjustment(
    *,
    actor: Actor,
    card_number: str,
    bucket: str,
    delta: int,
    reason: str,
    idempotency_key: str,
) -> Operation | ApprovalRequest:
    """An adjustment (``operations.adjust``): posted at once below the threshold, else a
    pending request for someone else to approve."""
    require(actor, Action.REQUEST_ADJUSTMENT, _("adjust cards"))
    payload = {"card_number": card_number, "bucket": bucket, "delta": delta, "reason": reason}
    needed = thresholds.current().adjustment_needs_approval(bucket=bucket, delta=_whole(delta))
    return _request(actor, RequestKind.ADJUSTMENT, payload, idempotency_key, needed=needed)


def request_hq_top_up(
    *,
    actor: Actor,
    card_number: str,
    amount_minor: int,
    tender: str,
    idempotency_key: str,
) -> Operation | ApprovalRequest:
    """A top-up at headquarters (``operations.top_up``): posted at once below the
    threshold, else a pending request for someone else to approve."""
    require(actor, Action.TOP_UP, _("top up cards"))
    if not actor.at_hq:
        raise NotPermitted(_("Only a top-up at headquarters is requested here."))
    payload = {"card_number": card_number, "amount_minor": amount_minor, "tender": tender}
    needed = thresholds.current().top_up_needs_approval(amount_minor=_whole(amount_minor))
    return _request(actor, RequestKind.HQ_TOP_UP, payload, idempotency_key, needed=needed)


def request_thresholds_change(
    *,
    actor: Actor,
    adjustment_minor: int,
    points_adjustment: int,
    hq_top_up_minor: int,
    lifetime_hours: int,
    idempotency_key: str,
    refund_minor: int | None = None,
) -> ApprovalRequest:
    """New approval thresholds: always a request (changing them is itself four eyes). A
    threshold not given keeps its current value."""
    require(actor, Action.CHANGE_APPROVAL_THRESHOLDS, _("change the approval thresholds"))
    new = thresholds.Thresholds(
        adjustment_minor=adjustment_minor,
        points_adjustment=points_adjustment,
        hq_top_up_minor=hq_top_up_minor,
        lifetime_hours=lifetime_hours,
        refund_minor=thresholds.current().refund_minor if refund_minor is None else refund_minor,
    )
    for field, value in new.as_dict().items():
        if _whole(value) != value or value < 0:
            raise ValidationFailed(_("A threshold is a whole number, 0 or more."), field=field)
    if not 1 <= lifetime_hours <= MAX_LIFETIME_HOURS:
        raise ValidationFailed(
            _("A request lives between 1 and %(most)d hours.") % {"most": MAX_LIFETIME_HOURS},
            field="lifetime_hours",
        )
    existing = _existing(actor, RequestKind.THRESHOLDS, new.as_dict(), idempotency_key)
    if existing is not None:
        return existing
    before = thresholds.current()
    if new == before:
        raise ValidationFailed(_("These are the thresholds already in force."))
    preview = {"before": before.as_dict(), "after": new.as_dict()}
    return _file(
        actor=actor,
        kind=RequestKind.THRESHOLDS,
        payload=new.as_dict(),
        preview=preview,
        idempotency_key=idempotency_key,
    )


def _whole(value: object) -> int:
    """``value`` if it is a whole number (the services refuse anything else), else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _request(
    actor: Actor, kind: str, payload: Payload, idempotency_key: str, *, needed: bool
) -> Operation | ApprovalRequest:
    rules = KINDS[kind]
    assert rules.post is not None
    existing = _existing(actor, kind, payload, idempotency_key)
    if existing is not None:
        return existing
    if not needed:
        return rules.post(actor, payload, idempotency_key)
    # The rehearsal's own key: it is rolled back with the rehearsal.
    rehearsal_key = f"rehearsal-{uuid.uuid4().hex}"
    preview = rehearse(lambda: rules.post(actor, payload, rehearsal_key))
    return _file(
        actor=actor, kind=kind, payload=payload, preview=preview, idempotency_key=idempotency_key
    )


def _existing(
    actor: Actor, kind: str, payload: Payload, idempotency_key: str
) -> ApprovalRequest | None:
    """The request this maker already filed with this key (a double submit), if any."""
    if actor.terminal is not None:  # a till's refund
        found = ApprovalRequest.objects.filter(
            terminal=actor.terminal, idempotency_key=idempotency_key
        )
    elif actor.staff is None:
        raise NotPermitted(_("Only a staff member files requests."))
    else:
        found = ApprovalRequest.objects.filter(maker=actor.staff, idempotency_key=idempotency_key)
    request = found.first()
    if request is not None and (request.kind != kind or request.payload != payload):
        raise IdempotencyConflict()
    return request


@business_operation
def _file(
    *, actor: Actor, kind: str, payload: Payload, preview: dict[str, Any], idempotency_key: str
) -> ApprovalRequest:
    # One maker's requests are filed one at a time, so a double submit finds the first.
    if actor.terminal is not None:
        Terminal.objects.select_for_update().filter(pk=actor.terminal.pk).first()
    else:
        assert actor.staff is not None
        Staff.objects.select_for_update().filter(pk=actor.staff.pk).first()
    existing = _existing(actor, kind, payload, idempotency_key)
    if existing is not None:
        return existing
    now = timezone.now()
    return ApprovalRequest.objects.create(
        kind=kind,
        maker=actor.staff if actor.terminal is None else None,
        terminal=actor.terminal,
        location=actor.location,
        created_at=now,
        expires_at=now + dt.timedelta(hours=thresholds.current().lifetime_hours),
        payload=payload,
        preview=preview,
        idempotency_key=idempotency_key,
    )


# Deciding -----------------------------------------------------------------------------


def approve(*, actor: Actor, request_id: int, note: str = "") -> ApprovalRequest:
    """Post what the request shows, once, as its maker; answers the approved request."""
    request, rules = _decidable(actor, request_id)
    if rules.apply is not None:
        return _apply(actor=actor, request_id=request.pk, note=note)
    assert rules.post is not None
    maker = maker_of(request)
    # A kind that must know who approved (a refund: past the counter rule) is told.
    told = {"approved_by": actor} if rules.tells_approver else {}

    def settle(operation: Operation) -> None:
        _settle(actor=actor, request_id=request.pk, operation=operation, note=note)

    with inside_operations(settle):
        rules.post(maker, request.payload, f"approval-{request.pk}", **told)
    request.refresh_from_db()
    return request


def maker_of(request: ApprovalRequest) -> Actor:
    """Who the approval posts as: the staff member or the POS terminal that made it."""
    if request.terminal_id is not None:
        return Actor.for_terminal(request.terminal)
    return Actor.for_staff(request.maker)


def reject(*, actor: Actor, request_id: int, note: str) -> ApprovalRequest:
    """Nothing is posted; the note says why. (Who may decide it is asked first: a role that
    may not decide this kind is refused whatever the note.)"""
    request, _rules = _decidable(actor, request_id)
    if not note or not note.strip():
        raise ValidationFailed(_("Say why the request is rejected."), field="note")
    return _reject(actor=actor, request_id=request.pk, note=note.strip())


def expire_due(now: dt.datetime | None = None) -> int:
    """Mark the pending requests past their expiry expired (the daily jobs); answers how
    many. Until then they are treated as expired wherever they are read or decided."""
    due = ApprovalRequest.objects.filter(
        state=RequestState.PENDING, expires_at__lte=now or timezone.now()
    )
    return due.update(state=RequestState.EXPIRED)


def _decidable(actor: Actor, request_id: int) -> tuple[ApprovalRequest, Kind]:
    """The request, if ``actor`` may decide it now (refusals: not found, own request, role,
    decided, expired: the last marked so on the way)."""
    # Only those who may decide some request decide any (asked before whether it exists).
    require(actor, Action.DECIDE_APPROVALS, _("decide approval requests"))
    if actor.staff is None:
        raise NotPermitted(_("Only a staff member decides requests."))
    request = (
        ApprovalRequest.objects.select_related("maker", "terminal").filter(pk=request_id).first()
    )
    if request is None:
        raise NotFound(_("No such request."))
    if request.maker_id == actor.staff.pk:
        raise OwnRequest()
    rules = KINDS[request.kind]
    require(actor, rules.decide, _("decide this request"))
    # A store's staff decide only their store's requests (another's answer like none).
    if not actor.at_hq and request.location_id != actor.location.pk:
        raise NotFound(_("No such request."))
    if request.state != RequestState.PENDING:
        raise RequestDecided(state=request.state)
    if request.is_due():
        due = ApprovalRequest.objects.filter(pk=request.pk, state=RequestState.PENDING)
        due.update(state=RequestState.EXPIRED)
        raise RequestExpired()
    return request, rules


def _lock_pending(request_id: int) -> ApprovalRequest:
    """The request row, locked: it must still be pending (a decision may have come first)."""
    return _ensure_pending(ApprovalRequest.objects.select_for_update().get(pk=request_id))


def _ensure_pending(request: ApprovalRequest) -> ApprovalRequest:
    if request.state != RequestState.PENDING:
        raise RequestDecided(state=request.state)
    if request.is_due():
        raise RequestExpired()
    return request


def _mark(request: ApprovalRequest, *, actor: Actor, state: str, note: str, **more: Any) -> None:
    request.state = state
    request.decided_by = actor.staff
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    for name, value in more.items():
        setattr(request, name, value)
    request.save()


def _settle(*, actor: Actor, request_id: int, operation: Operation, note: str) -> None:
    """Inside the approval's posting: mark the request approved with ``operation``, unless
    a concurrent approval did it already with the same one (this posting was its replay)."""
    request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
    if request.state == RequestState.APPROVED and request.operation_id == operation.pk:
        return
    _ensure_pending(request)
    if preview_of(operation) != request.preview:
        raise RequestStale()
    _mark(request, actor=actor, state=RequestState.APPROVED, note=note, operation=operation)


@business_operation
def _apply(*, actor: Actor, request_id: int, note: str) -> ApprovalRequest:
    request = _lock_pending(request_id)
    if request.kind == RequestKind.THRESHOLDS and (
        thresholds.current().as_dict() != request.preview["before"]
    ):
        raise RequestStale(_("The thresholds changed since this request was made."))
    rules = KINDS[request.kind]
    assert rules.apply is not None
    if rules.tells_approver:
        rules.apply(request, actor)
    else:
        rules.apply(request)
    _mark(request, actor=actor, state=RequestState.APPROVED, note=note)
    return request


@business_operation
def _reject(*, actor: Actor, request_id: int, note: str) -> ApprovalRequest:
    request = _lock_pending(request_id)
    _mark(request, actor=actor, state=RequestState.REJECTED, note=note)
    return request
