"""Issue #13, reproduction 9 (the database file and every backup were 0644 in 0755 folders)
gives the opposite result: under an operator's umask 022, ``membercard migrate``,
``backup`` (with its verify run) and ``restore`` leave the data folder and backup folders
0700 and every file in them 0600: the SQLite database and its -wal/-shm files, the
generated secret key, each backup, checksum, manifest and lock file, a restored database.
Files an older version left readable are tightened on the next start.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from membercard.core import files

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run_cli(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """``membercard …`` in a fresh process started with umask 022, on SQLite in ``data_dir``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEMBERCARD_", "DATABASE"))}
    result = subprocess.run(
        [sys.executable, "-m", "membercard", *args],
        env={**clean, "MEMBERCARD_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _loose(root: Path) -> list[str]:
    """Everything under ``root`` (itself included) not private: folders other than 0700,
    files other than 0600 (collected static files excepted: they are public anyway)."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_relative_to(root / "static") and path != root / "static":
            continue
        want = files.DIR_MODE if path.is_dir() else files.FILE_MODE
        if _mode(path) != want:
            found.append(f"{oct(_mode(path))} {path.relative_to(root.parent)}")
    return found


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> Path:
    """A fresh installation under umask 022: migrated, backed up (and verified), restored."""
    data = tmp_path_factory.mktemp("install") / "data"
    _run_cli("migrate", "--noinput", data_dir=data)
    _run_cli("backup", data_dir=data)
    backup = next((data / "backups").glob("*.sqlite3"))
    restored = data / "restored" / "copy.sqlite3"
    _run_cli("restore", str(backup), f"--database-url=sqlite:///{restored}", data_dir=data)
    return data


def test_the_data_folder_and_every_file_in_it_are_private_under_umask_022(installation):
    names = {p.name for p in installation.rglob("*")}
    # What must be there for this to mean anything.
    assert {"membercard.sqlite3", "secret_key", "backups", "copy.sqlite3"} <= names
    backups = installation / "backups"
    assert any(p.suffix == ".sqlite3" for p in backups.iterdir())
    assert any(p.name.endswith(".sha256") for p in backups.iterdir())
    assert any(p.name.endswith(".json") for p in backups.iterdir())
    assert _loose(installation) == []


def test_the_live_database_s_wal_and_shm_files_are_private(installation):
    """The WAL files exist while a connection is open: check them from inside one."""
    code = (
        "import os, stat, django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); from django.conf import settings; "
        "name = settings.DATABASES['default']['NAME']; "
        "print(' '.join(oct(stat.S_IMODE(os.stat(name + s).st_mode)) "
        "for s in ('', '-wal', '-shm')))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEMBERCARD_", "DATABASE"))}
    # Through the WSGI module's process set-up, as a gunicorn worker starts.
    result = subprocess.run(
        [sys.executable, "-c", "import membercard.wsgi; " + code],
        env={**clean, "MEMBERCARD_DATA_DIR": str(installation)},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0o600", "0o600", "0o600"]


def test_files_an_older_version_left_readable_are_tightened_on_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    sqlite3.connect(data / "membercard.sqlite3").close()
    (data / "secret_key").write_text("an-old-key-" * 6)
    for path in (data / "membercard.sqlite3", data / "secret_key"):
        path.chmod(0o644)
    data.chmod(0o755)
    # Any command that reads the settings and connects to the database.
    _run_cli("showmigrations", "core", data_dir=data)
    assert _mode(data) == 0o700
    assert _mode(data / "secret_key") == 0o600
    assert _mode(data / "membercard.sqlite3") == 0o600


def test_a_shared_sticky_folder_is_left_alone(tmp_path):
    """A data folder set to a shared sticky folder (like /tmp) by mistake: chmodding it
    would lock other users out, so only our own files are tightened."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    files.private_dir(shared)
    assert _mode(shared) == 0o1777
    inner = files.private_dir(shared / "ours")
    assert _mode(inner) == 0o700
    made = files.touch_private(inner / "file")
    assert _mode(made) == 0o600


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_either_database_is_private_whatever_the_process_umask(tmp_path):
    """In-process, without the entry point's umask (a test, a shell, an embedding server):
    the backup code itself makes its files private. On SQLite and on PostgreSQL (pg_dump
    writes into the file made for it)."""
    from membercard.ops.backups.config import BackupConfig, Keep
    from membercard.ops.backups.services import run_backup

    folder = tmp_path / "backups"
    config = BackupConfig(directory=folder, hour=3, keep=Keep(), verify=False)
    previous = os.umask(0o022)
    try:
        run_backup(trigger="test", config=config)
    finally:
        os.umask(previous)
    made = sorted(p.name for p in folder.iterdir())
    assert len(made) == 4, made  # the backup, its checksum, its manifest, the lock file
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == dict.fromkeys(made, 0o600)
