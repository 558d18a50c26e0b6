"""Database guards that keep the ledger append-only, whatever code talks to the database.

The SQL lives beside this module (``sql/guards.<vendor>.sql``) and is installed
by a migration. On SQLite the DELETE triggers call ``membercard_purge_allowed()``,
a function this process registers on each connection; it answers 0 unless the
test suite is tearing down a throw-away database (``allow_purge``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from django.db.backends.signals import connection_created

SQL_DIR = Path(__file__).resolve().parent / "sql"
_purge = threading.Event()


def statements(vendor: str) -> list[str]:
    """The file's statements, without comment lines (the drivers need one bare statement)."""
    text = (SQL_DIR / f"guards.{vendor}.sql").read_text()
    chunks = (
        "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--"))
        for chunk in text.split("--;;")
    )
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def install(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise RuntimeError(f"No ledger guards for the {vendor} database.")
    for statement in statements(vendor):
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
    connection_created.connect(_register, dispatch_uid="membercard-ledger-guards")
