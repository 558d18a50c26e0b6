"""Copying a database to a file and back, per vendor.

SQLite: the online backup API from the live connection (a consistent snapshot while the
app writes; WAL readers never block writers); the copy is switched to a plain rollback
journal so it is one self-contained file. Triggers and everything else come along.
PostgreSQL: ``pg_dump -Fc`` (one snapshot; functions and triggers included) and
``pg_restore`` in one transaction into an empty database.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import psycopg
from django.utils.translation import gettext as _
from psycopg import sql

from membercard.core import files
from membercard.ops.backups.errors import BackupError, TargetNotEmpty

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class Target:
    """Where a database lives: a SQLite file or a PostgreSQL database on a server."""

    vendor: str  # "sqlite" or "postgresql"
    name: str  # SQLite: the file path; PostgreSQL: the database name
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> Target:
        engine = settings_dict["ENGINE"]
        if engine.endswith("sqlite3"):
            return cls("sqlite", str(settings_dict["NAME"]))
        if "postgresql" in engine:
            return cls(
                "postgresql",
                str(settings_dict["NAME"]),
                user=settings_dict.get("USER") or "",
                password=settings_dict.get("PASSWORD") or "",
                host=settings_dict.get("HOST") or "",
                port=str(settings_dict.get("PORT") or ""),
            )
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine}
        )

    @classmethod
    def from_url(cls, url: str) -> Target:
        return cls.from_settings(dj_database_url.parse(url))

    @property
    def url(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{Path(self.name).resolve()}"
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        netloc = f"{auth}@" if auth else ""
        netloc += self.host or "localhost"
        if self.port:
            netloc += f":{self.port}"
        return f"postgresql://{netloc}/{quote(self.name, safe='')}"

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return self.name
        return f"{self.name} on {self.host or 'localhost'}:{self.port or 5432}"

    # PostgreSQL helpers ---------------------------------------------------------------

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in (
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[key] = value
        return env

    def pg_connect(self, dbname: str | None = None) -> psycopg.Connection:
        params = {"dbname": dbname or self.name, "autocommit": True}
        for key, value in (
            ("user", self.user),
            ("password", self.password),
            ("host", self.host),
            ("port", self.port),
        ):
            if value:
                params[key] = value
        return psycopg.connect(**params)


def vendor_of_file(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def _pg_tool(name: str) -> str:
    bindir = os.environ.get("MEMBERCARD_PG_BINDIR")
    found = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not found:
        raise BackupError(
            _("%(tool)s was not found; install the PostgreSQL client tools.") % {"tool": name}
        )
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(output)s")
            % {"tool": what, "output": result.stderr.strip()[-2000:]}
        )


# Dump -----------------------------------------------------------------------------------


def dump(django_connection, target: Target, into: Path) -> None:
    """Write a consistent copy of the database behind ``django_connection`` to ``into``."""
    if target.vendor == "sqlite":
        django_connection.ensure_connection()
        if django_connection.connection.in_transaction:
            # SQLite refuses to copy a database its own connection is writing to.
            raise BackupError(_("A SQLite backup cannot run inside a database transaction."))
        copy = sqlite3.connect(into)
        try:
            # One step (pages=-1): the whole database under one read snapshot.
            django_connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    else:
        command = [_pg_tool("pg_dump"), "--format=custom", f"--file={into}", target.name]
        _run(command, target.pg_env(), "pg_dump")


# Restore --------------------------------------------------------------------------------


def _sqlite_tables(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (count,) = probe.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchone()
    finally:
        probe.close()
    return count


_PG_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
"""


def _pg_exists(target: Target) -> bool:
    with target.pg_connect("postgres") as admin:
        row = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name])
        return row.fetchone() is not None


def _pg_relations(target: Target) -> int:
    with target.pg_connect() as conn:
        return conn.execute(_PG_RELATIONS).fetchone()[0]


def require_empty(target: Target) -> None:
    """Refuse a target that already holds tables: a restore never overwrites data."""
    if target.vendor == "sqlite":
        count = _sqlite_tables(Path(target.name))
    else:
        count = _pg_relations(target) if _pg_exists(target) else 0
    if count:
        raise TargetNotEmpty(
            _(
                "The target database %(database)s is not empty (%(count)d tables). "
                "Restore into a new, empty database. Nothing was restored."
            )
            % {"database": target.label, "count": count},
            tables=count,
        )


def create_database(target: Target) -> None:
    with target.pg_connect("postgres") as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))


def drop_database(target: Target) -> None:
    with target.pg_connect("postgres") as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name))
        )


def load(backup: Path, target: Target) -> None:
    """Copy ``backup`` into ``target`` (checked empty by the caller)."""
    if target.vendor == "sqlite":
        destination = Path(target.name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        # A restored database is as private as the live one (its WAL takes the same mode).
        files.touch_private(destination)
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        copy = sqlite3.connect(destination)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
            source.close()
        return
    if not _pg_exists(target):
        create_database(target)
    command = [
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={target.name}",
        str(backup),
    ]
    _run(command, target.pg_env(), "pg_restore")


def scratch_like(target: Target, folder: Path) -> Target:
    """A new, not yet existing database of the same vendor, for a verify run."""
    tag = secrets.token_hex(4)
    if target.vendor == "sqlite":
        return Target("sqlite", str(folder / f"verify-{tag}.sqlite3"))
    return replace(target, name=f"{target.name[:45]}_verify_{tag}")


def discard(scratch: Target) -> None:
    if scratch.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(scratch.name + suffix).unlink(missing_ok=True)
    else:
        drop_database(scratch)
