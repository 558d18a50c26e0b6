"""Database guards that keep append-only tables (ledger, stock movements) append-only,
whatever code talks to the database.

Each app keeps its SQL beside its code (``sql/guards.<vendor>.sql``, statements
ended by a line of two dashes and two semicolons) and installs it from a
migration. On SQLite the DELETE triggers call ``membercard_purge_allowed()``, a
function this process registers on each connection; it answers 0 unless the test
suite is tearing down a throw-away database (``allow_purge``). From the sqlite3
shell the function does not exist, so a DELETE fails there too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from django.db.backends.signals import connection_created

_purge = threading.Event()
VENDORS = frozenset({"sqlite", "postgresql"})


def statements(sql_dir: Path, vendor: str) -> list[str]:
    """The file's statements, without comment lines (the drivers need one bare statement)."""
    text = (sql_dir / f"guards.{vendor}.sql").read_text()
    chunks = (
        "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--"))
        for chunk in text.split("--;;")
    )
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def install(schema_editor, sql_dir: Path) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in VENDORS:
        raise RuntimeError(f"No append-only guards for the {vendor} database.")
    for statement in statements(sql_dir, vendor):
        schema_editor.execute(statement, params=None)


@contextlib.contextmanager
def allow_purge() -> Iterator[None]:
    """Let a test suite empty a throw-away SQLite database. Never used by the product."""
    _purge.set()
    try:
        yield
    finally:
        _purge.clear()


def _register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "membercard_purge_allowed", 0, lambda: int(_purge.is_set()), deterministic=False
        )


def connect() -> None:
    connection_created.connect(_register, dispatch_uid="membercard-append-only-guards")
