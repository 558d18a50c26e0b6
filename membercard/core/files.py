"""Files that hold data are readable by the service user only (issue #13): the data folder
and backup folders 0700; the database, its -wal/-shm/-journal files, the secret key, every
backup, checksum, manifest and lock file 0600, whatever the umask.

Two layers, because either alone leaks: the entry points (``membercard`` CLI, WSGI) set a
restrictive umask before anything is created, so files made by libraries we do not
control (the SQLite driver, pg_dump) start private; and the code that makes a data file
creates it 0600 (or tightens it) itself, so an operator's umask 022, a file left by an
older version, or a test process without the entry point still ends up private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite keeps a database in up to four files; it gives the journal and WAL files the mode
# of the database file, so a private database stays private as it grows.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def restrict_umask() -> None:
    """Make everything this process creates from now on private to the service user."""
    os.umask(PRIVATE_UMASK)


def _tighten(path: Path, mode: int) -> None:
    """Chmod ``path`` to ``mode`` if it is ours and looser. A shared sticky folder (``/tmp``
    given as a data folder by mistake) or someone else's file is left alone: a chmod there
    would break other users, not protect ours."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid != os.geteuid() or info.st_mode & stat.S_ISVTX:
        return
    if stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as a 0700 folder, or tighten it to 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Tighten an existing file to 0600 (nothing happens if it does not exist)."""
    _tighten(path, FILE_MODE)
    return path


def touch_private(path: Path) -> Path:
    """Make sure ``path`` exists and is 0600 (created empty if missing), before it is opened
    to be written: a lock file, a manifest, a file a library then fills (a SQLite copy, a
    pg_dump archive), which keeps the mode of the file it opens."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)  # O_CREAT's mode passes through the umask; a chmod does not
    return path


def private_sqlite(database: str | Path) -> None:
    """Tighten a SQLite database and its companion files to 0600."""
    name = str(database)
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_SUFFIXES:
        private_file(Path(name + suffix))


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        private_sqlite(connection.settings_dict.get("NAME") or "")


def watch_sqlite() -> None:
    """After every new database connection, tighten the SQLite files the driver may just
    have created (the driver opens them itself; we cannot pass it a mode)."""
    from django.db.backends.signals import connection_created

    connection_created.connect(_on_connection_created, dispatch_uid="membercard-private-sqlite")


def secure_process() -> None:
    """What every entry point does first: a private umask, and private SQLite files."""
    restrict_umask()
    watch_sqlite()
