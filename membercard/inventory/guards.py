"""The stock ledger's append-only guards (SQL in ``sql/``), installed by a migration."""

from __future__ import annotations

from pathlib import Path

from membercard.core import guards

SQL_DIR = Path(__file__).resolve().parent / "sql"


def install(schema_editor) -> None:
    guards.install(schema_editor, SQL_DIR)
