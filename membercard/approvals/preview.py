"""What the approver is shown: the operation as it would post, read from a rehearsal.

A request's operation is *rehearsed* when the request is filed: the operation service runs
for real, with every check it makes (state, product policy, prepaid limits, balances),
and its transaction is rolled back just before commit (``rehearse``). The preview is read
from what it posted (``preview_of``), so it is exactly what the approval will post while
the card stays as it was; the approval compares the same preview of the real posting
with it, inside that posting's transaction, and refuses (``request_stale``) if they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from membercard.core.transactions import inside_operations
from membercard.ledger.models import AccountKind, Operation

# The card's accounts as the preview names them.
CARD_SIDES = {
    AccountKind.CARD_PRINCIPAL: "principal_minor",
    AccountKind.CARD_BONUS: "bonus_minor",
    AccountKind.CARD_POINTS: "points",
}

Preview = dict[str, Any]


def preview_of(operation: Operation) -> Preview:
    """The card, the amounts and the card's balances before and after ``operation`` (read
    inside its transaction, under the card's lock)."""
    card = operation.card
    after = dict.fromkeys(CARD_SIDES.values(), 0)
    for kind, balance in card.accounts.values_list("kind", "balance"):
        if kind in CARD_SIDES:
            after[CARD_SIDES[kind]] = balance
    moved = dict.fromkeys(CARD_SIDES.values(), 0)
    transfers = operation.transfers.select_related("debit_account", "credit_account")
    for transfer in transfers:
        if transfer.credit_account.card_id == card.pk:
            moved[CARD_SIDES[transfer.credit_account.kind]] += transfer.amount
        if transfer.debit_account.card_id == card.pk:
            moved[CARD_SIDES[transfer.debit_account.kind]] -= transfer.amount
    before = {side: after[side] - moved[side] for side in after}
    return {
        "card_number": card.number,
        "operation_kind": operation.kind,
        "gross_minor": operation.gross_minor,
        "net_minor": operation.net_minor,
        "tender": operation.tender,
        "moved": moved,
        "before": before,
        "after": after,
        "value_before_minor": before["principal_minor"] + before["bonus_minor"],
        "value_after_minor": after["principal_minor"] + after["bonus_minor"],
        "reason": operation.reason,
    }


class _Rehearsed(Exception):
    """Rolls the rehearsed operation back, carrying its preview out."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("rehearsal")
        self.preview = preview


def _stop(operation: Operation) -> None:
    raise _Rehearsed(preview_of(operation))


def rehearse(post: Callable[[], Operation]) -> Preview:
    """Run ``post`` (one business operation) and roll it back before it commits; answers
    the preview of what it posted. Its refusals (domain errors) come out unchanged."""
    try:
        with inside_operations(_stop):
            post()
    except _Rehearsed as rehearsed:
        return rehearsed.preview
    raise RuntimeError("The rehearsed operation did not reach its commit.")  # pragma: no cover
