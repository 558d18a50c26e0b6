"""The kinds of request: who decides each and what its approval does.

A kind either *posts* a business operation (an adjustment, a top-up at HQ: the operation
service runs as the maker, so the ledger says who made it) or *applies* a setting (the
thresholds), in the approval's own transaction. A new kind (voids, batch orders, refunds,
reopening a day, prepaid limits, product money policies, handover losses, batch
cancellations) is a new ``RequestKind`` value, a row here and a ``request_…`` service that
files it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from membercard.approvals.days import apply_day_reopening
from membercard.approvals.models import ApprovalRequest, ApprovalThresholds, RequestKind
from membercard.approvals.refunds import post_refund
from membercard.approvals.replacements import post_replacement
from membercard.approvals.settings_changes import apply_prepaid_limits, apply_product_policy
from membercard.approvals.stock import apply_batch_order, apply_card_void
from membercard.approvals.stock_write_offs import apply_batch_cancel, apply_handover_loss
from membercard.core.actors import Actor
from membercard.core.permissions import Action
from membercard.ledger.models import Operation
from membercard.operations.corrections import adjust
from membercard.operations.sales import top_up

Payload = dict[str, Any]


def post_adjustment(maker: Actor, payload: Payload, idempotency_key: str) -> Operation:
    return adjust(
        actor=maker,
        card_number=payload["card_number"],
        bucket=payload["bucket"],
        delta=payload["delta"],
        reason=payload["reason"],
        idempotency_key=idempotency_key,
    )


def post_hq_top_up(maker: Actor, payload: Payload, idempotency_key: str) -> Operation:
    return top_up(
        actor=maker,
        card_number=payload["card_number"],
        amount_minor=payload["amount_minor"],
        tender=payload["tender"],
        idempotency_key=idempotency_key,
    )


def apply_thresholds(request: ApprovalRequest) -> None:
    """The new thresholds become current (the old rows stay: the history)."""
    ApprovalThresholds.objects.create(request=request, **request.payload)


@dataclass(frozen=True)
class Kind:
    decide: Action  # who may approve or reject it (never its maker)
    # The operation an approval posts (as the maker, with the approval's key)...
    post: Callable[[Actor, Payload, str], Operation] | None = None
    # ...or the setting it applies, inside the approval's transaction.
    apply: Callable[..., None] | None = None
    # Whether ``post`` is also given ``approved_by=<the approver>`` (a refund: the service
    # lifts the counter refund rule for an approved refund and keeps who approved it), and
    # ``apply`` the approver as its second argument (reopening a day records who approved).
    tells_approver: bool = False


KINDS: dict[str, Kind] = {
    RequestKind.ADJUSTMENT: Kind(decide=Action.APPROVE_MONEY, post=post_adjustment),
    RequestKind.HQ_TOP_UP: Kind(decide=Action.APPROVE_MONEY, post=post_hq_top_up),
    RequestKind.THRESHOLDS: Kind(decide=Action.APPROVE_THRESHOLDS, apply=apply_thresholds),
    RequestKind.REFUND: Kind(decide=Action.APPROVE_REFUND, post=post_refund, tells_approver=True),
    RequestKind.REOPEN_DAY: Kind(
        decide=Action.APPROVE_DAY_REOPENING, apply=apply_day_reopening, tells_approver=True
    ),
    RequestKind.CARD_VOID: Kind(decide=Action.APPROVE_STOCK, apply=apply_card_void),
    RequestKind.BATCH_ORDER: Kind(decide=Action.APPROVE_STOCK, apply=apply_batch_order),
    RequestKind.HANDOVER_LOSS: Kind(decide=Action.APPROVE_STOCK, apply=apply_handover_loss),
    RequestKind.BATCH_CANCEL: Kind(decide=Action.APPROVE_STOCK, apply=apply_batch_cancel),
    RequestKind.PREPAID_LIMITS: Kind(decide=Action.APPROVE_SETTINGS, apply=apply_prepaid_limits),
    RequestKind.PRODUCT_POLICY: Kind(decide=Action.APPROVE_SETTINGS, apply=apply_product_policy),
    RequestKind.REPLACEMENT: Kind(decide=Action.APPROVE_LIMIT_OVERRIDE, post=post_replacement),
}
