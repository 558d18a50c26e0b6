"""What every money request shares: the ``Idempotency-Key`` header, and the 201 answer built
inside the operation's transaction.

Each endpoint writes its service call out, with named arguments, inside ``answering``::

    with answering(request, idempotency_key) as answer:
        operation = top_up(actor=actor, card_number=..., idempotency_key=idempotency_key)
    return answer.response(operation)

``answering`` renders the answer from the operation the service returns *before* its
transaction commits (``core.transactions.inside_operations``): if rendering fails, the
operation rolls back, so a committed operation always has its answer and nothing but
handing it over is left after the commit. A replay's operation says it is one
(``operation.replayed``, set by the ledger's idempotency claim), which adds
``Idempotent-Replayed: true``. From the service call on, a failure answers 503
``outcome_unknown`` rather than 500 (``errors.py``). A refusal propagates to the
problem+json handlers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header

from membercard.api import render
from membercard.api.idempotency import HEADER, REPLAYED_HEADER, mark_outcome_at_stake
from membercard.core.transactions import inside_operations
from membercard.ledger.idempotency import check_key
from membercard.ledger.models import Operation

MONEY_ERRORS = (400, 403, 404, 409, 429)
IDEMPOTENCY_NOTE = (
    " Needs an `Idempotency-Key` header; a replay answers like the first time. On a "
    "timeout or a 5xx, send the same request with the same key again."
)

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


class MoneyAnswer:
    """The 201 answer to one money request, rendered by ``out`` inside the transaction of
    the operation it answers (the first operation, on a replay), from that operation and
    the card's transfers up to it (see render.py)."""

    def __init__(self, out: Render) -> None:
        self._out = out
        self._answer: tuple[int, HttpResponse] | None = None

    def build(self, result: object) -> None:
        """Called with the service's result just before its transaction commits. Only an
        operation is answered (a wrong PIN's counted refusal, say, is not)."""
        if not isinstance(result, Operation):
            return
        body = self._out(render.with_related(result))
        headers = {REPLAYED_HEADER: "true"} if result.replayed else None
        self._answer = (result.pk, render.json_response(body, status=201, headers=headers))

    def response(self, operation: Operation) -> HttpResponse:
        """The answer built for ``operation`` while it was being committed."""
        if self._answer is None or self._answer[0] != operation.pk:
            raise RuntimeError("No answer was built inside this operation's transaction.")
        return self._answer[1]


@contextlib.contextmanager
def answering(
    request: HttpRequest, key: str, *, out: Render = render.operation_out
) -> Iterator[MoneyAnswer]:
    """Around one money service call under ``key``: the answer is built inside the call's
    transaction, and from here on a failure answers 503 ``outcome_unknown``."""
    check_key(key)
    answer = MoneyAnswer(out)
    mark_outcome_at_stake(request)
    with inside_operations(answer.build):
        yield answer
