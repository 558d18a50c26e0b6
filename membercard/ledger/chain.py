"""Tamper evidence: every card's operations form a hash chain.

``digest(operation, transfers)`` hashes what an operation *is* (kind, who,
where, when, amounts and every transfer with its balances after). A link's hash
is ``sha256(prev_hash + digest)``; the card row keeps the head. Changing any
stored operation or transfer, or dropping or reordering one, breaks the chain
from that point on, and ``membercard verify`` names the card and the link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from membercard.ledger.models import Operation, Transfer


def _iso(moment: dt.datetime | None) -> str | None:
    # In UTC: the database hands times back in UTC, whatever offset they came in with.
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds") if moment else None


def digest(operation: Operation, transfers: Iterable[Transfer]) -> str:
    content = {
        "id": operation.pk,
        "kind": operation.kind,
        "card": operation.card_id,
        "related_card": operation.related_card_id,
        "location": operation.location_id,
        "staff": operation.staff_id,
        "terminal": operation.terminal_id,
        "created_at": _iso(operation.created_at),
        "occurred_at": _iso(operation.occurred_at),
        "business_date": operation.business_date.isoformat(),
        "currency": operation.currency,
        "amounts": [
            operation.gross_minor,
            operation.discount_minor,
            operation.net_minor,
            operation.paid_other_minor,
        ],
        "tender": operation.tender,
        "reverses": operation.reverses_id,
        "refund_of": operation.refund_of_id,
        "reason": operation.reason,
        "reference": operation.reference,
        "details": operation.details,
        "transfers": [
            [
                t.debit_account_id,
                t.credit_account_id,
                t.unit,
                t.amount,
                t.debit_balance_after,
                t.credit_balance_after,
            ]
            for t in transfers
        ],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_hash(prev_hash: str, operation_digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}{operation_digest}".encode()).hexdigest()
