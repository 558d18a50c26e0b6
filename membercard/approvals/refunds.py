"""Refunds under four eyes: what a cashier or a POS terminal may not refund alone is filed
for a store manager (or HQ admin, HQ finance) to approve.

**One rule.** The counter refund rule stays where every path meets it: in
``operations.refund`` (``_check_counter_refund_rule``: a purchase of the open business day,
less than the refund threshold on it in all; the threshold is HQ's, ``thresholds.current()
.refund_minor``, which the approvals app plugs into the operations layer). So
``request_refund`` simply tries the refund; when the rule refuses it
(``RefundNeedsManager``), it rehearses the refund as approved and files the request.

**How the approval posts.** As every kind, as the maker (the cashier or the terminal, so
the ledger says who refunded) with the key ``approval-<id>``; the approver is passed as
``approved_by`` (``Kind.tells_approver``): the service lifts the counter rule for an
approved refund and keeps the approver's staff id in the operation's details. Who may
approve is checked here (``Action.APPROVE_REFUND``: a store manager at the purchase's
store, HQ admin or finance; never the maker), not by the operation.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.preview import rehearse
from membercard.core.actors import Actor
from membercard.core.errors import RefundNeedsManager
from membercard.core.permissions import Action, require
from membercard.ledger.models import Operation
from membercard.operations import refund

Payload = dict[str, Any]  # as in ``kinds`` (which imports this module)


def post_refund(
    maker: Actor, payload: Payload, idempotency_key: str, approved_by: Actor | None = None
) -> Operation:
    return refund(
        actor=maker,
        operation_id=payload["operation_id"],
        amount_minor=payload["amount_minor"],
        reason=payload["reason"],
        idempotency_key=idempotency_key,
        approved_by=approved_by,
    )


def request_refund(
    *,
    actor: Actor,
    operation_id: int,
    amount_minor: int,
    idempotency_key: str,
    reason: str = "",
) -> Operation | ApprovalRequest:
    """Refund (part of) a purchase (``operations.refund``, the same arguments): posted at
    once when ``actor`` may (a manager; HQ; a cashier or terminal within the counter refund
    rule), else filed as a pending request with what it will post (the card, the amounts,
    the balance before and after, the points taken back) and returned. A replay of the key
    answers what the first call did (the refund, or the request)."""
    # Filing sits above the kinds, which name this module's posting: imported when used.
    from membercard.approvals import services

    require(actor, Action.REFUND, _("refund purchases"))
    payload = {"operation_id": operation_id, "amount_minor": amount_minor, "reason": reason}
    filed = services._existing(actor, RequestKind.REFUND, payload, idempotency_key)
    if filed is not None:
        return filed
    try:
        return post_refund(actor, payload, idempotency_key)
    except RefundNeedsManager:
        pass  # outside the counter rule: a second person approves it
    # Rehearsed as approved (rolled back); its own key goes with it.
    rehearsal_key = f"rehearsal-{uuid.uuid4().hex}"
    preview = rehearse(lambda: post_refund(actor, payload, rehearsal_key, approved_by=actor))
    return services._file(
        actor=actor,
        kind=RequestKind.REFUND,
        payload=payload,
        preview=preview,
        idempotency_key=idempotency_key,
    )
