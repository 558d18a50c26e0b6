"""The ``Idempotency-Key`` header on money-changing requests, and telling a replay.

The ledger services own idempotency: the key is claimed in the same transaction as the
operation; a replay with the same request returns the first operation, a different
request with the same key raises ``IdempotencyConflict`` (409), a refused request leaves
no key. The API renders the returned operation (``render.py``), so a replay gets the
first body byte for byte; what it adds is the ``Idempotent-Replayed: true`` header.

Whether this request made the operation or replayed it is decided by watching this
request's own database statements (``connection.execute_wrapper``, per thread): the
request made the operation when its INSERT of the idempotency record succeeded in the
attempt that committed. A deadlock or serialisation failure rolls that attempt back and
the service runs again, so such an error clears the mark. This is exact even for
concurrent duplicates, where "did the key exist before the call" is not: the loser of the
race sees no key, waits on the unique index, then replays the winner's operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection

from membercard.ledger.idempotency import check_key
from membercard.ledger.models import IdempotencyRecord, Operation

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class _ClaimWatch:
    def __init__(self) -> None:
        table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
        self.insert = f"INSERT INTO {table} "
        self.claimed = False

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        try:
            result = execute(sql, params, many, context)
        except OperationalError:  # the attempt rolls back (and is retried)
            self.claimed = False
            raise
        if sql.startswith(self.insert):
            self.claimed = True
        return result


def run(key: str, service: Callable[[], Operation]) -> tuple[Operation, bool]:
    """Call ``service`` (a ledger service bound to ``key``); its operation and whether it
    was a replay."""
    check_key(key)
    watch = _ClaimWatch()
    with connection.execute_wrapper(watch):
        operation = service()
    return operation, not watch.claimed
