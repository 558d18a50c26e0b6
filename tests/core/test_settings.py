import os
import stat
import subprocess
import sys

import pytest

from membercard import settings as project_settings


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("MEMBERCARD_SECRET_KEY", raising=False)
    first = project_settings._secret_key(tmp_path)
    second = project_settings._secret_key(tmp_path)
    key_file = tmp_path / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMBERCARD_SECRET_KEY", "from-env")
    assert project_settings._secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_environment_chooses_data_dir_database_and_currency(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "MEMBERCARD_DATA_DIR": str(tmp_path),
        "MEMBERCARD_CURRENCY": "usd",
        "MEMBERCARD_DAY_CUTOFF_HOUR": "5",
        "DJANGO_SETTINGS_MODULE": "membercard.settings",
    }
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['NAME'], s.MEMBERCARD_CURRENCY,"
        " s.MEMBERCARD_DAY_CUTOFF_HOUR, s.DATABASES['default']['OPTIONS']['transaction_mode'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(tmp_path / "membercard.sqlite3"), "USD", "5", "IMMEDIATE"]
    assert (tmp_path / "secret_key").exists()


def test_sqlite_commits_are_durable_and_writers_start_immediate(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's knobs; PostgreSQL commits are durable by default")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.transaction_mode == "IMMEDIATE"
