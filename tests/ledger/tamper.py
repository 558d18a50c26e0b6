"""Going around the product to change stored ledger rows, as an attacker with database
access would: the append-only triggers are lifted inside the test's transaction only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

TRIGGERS = {
    "sqlite": {
        "ledger_operation": ["ledger_operation_no_update", "ledger_operation_no_delete"],
        "ledger_transfer": ["ledger_transfer_no_update", "ledger_transfer_no_delete"],
        "ledger_chainlink": ["ledger_chainlink_no_update", "ledger_chainlink_no_delete"],
        "days_sealevent": ["days_sealevent_no_update", "days_sealevent_no_delete"],
        "inventory_stockmovement": [
            "inventory_stockmovement_no_update",
            "inventory_stockmovement_no_delete",
        ],
    },
}


@contextlib.contextmanager
def triggers_lifted(table: str) -> Iterator[None]:
    """Lift the append-only trigger of ``table`` (DDL is transactional on both databases,
    so the surrounding test transaction puts it back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks pending in this transaction block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for name in TRIGGERS["sqlite"][table]:
                cursor.execute(f"DROP TRIGGER {name}")
    yield


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
