"""The ``Idempotency-Key`` header on money-changing requests, and what a replay answers.

The ledger services own idempotency: the key is claimed in the same transaction as the
operation; a replay with the same request returns the first operation, a different
request with the same key raises ``IdempotencyConflict`` (409), a refused request leaves
no key. The service also says which it was: the operation it returns has ``replayed``
(``ledger/idempotency.py``), exact even for concurrent duplicates, whose loser waits on
the unique index, is retried by ``business_operation`` and replays. The API renders the
returned operation (``render.py``), so a replay gets the first body byte for byte; what it
adds is the ``Idempotent-Replayed: true`` header.

Once a money request has reached its service, its outcome is at stake: a failure from then
on cannot say "nothing happened", so it answers 503 ``outcome_unknown`` (``errors.py``)
and the till retries the same request with the same key until it gets a definite answer.
"""

from __future__ import annotations

from django.http import HttpRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

_AT_STAKE = "membercard_outcome_at_stake"


def is_money_request(request: HttpRequest) -> bool:
    """A request that may change money: not a read, and sent with an idempotency key."""
    return request.method not in ("GET", "HEAD", "OPTIONS") and HEADER in request.headers


def mark_outcome_at_stake(request: HttpRequest) -> None:
    """The request is about to call its money service."""
    setattr(request, _AT_STAKE, True)


def outcome_at_stake(request: HttpRequest) -> bool:
    """Whether the request called a money service (which may have committed)."""
    return bool(getattr(request, _AT_STAKE, False))
