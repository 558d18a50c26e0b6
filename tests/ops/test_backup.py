"""``membercard backup`` / ``restore`` / ``backup --verify``: a round trip through a backup file
keeps every balance and chain; a damaged backup, a non-empty target and the wrong kind of
database are refused before anything is touched. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from membercard.ledger.models import Account, AccountKind, ChainLink, Operation
from membercard.ops.backups import engine
from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig, Keep
from membercard.ops.backups.errors import (
    BackupError,
    ChecksumMismatch,
    TargetNotEmpty,
    WrongDatabaseVendor,
)
from membercard.ops.backups.services import restore_backup, run_backup, verify_backup
from tests import factories as f
from tests.ledger.helpers import add, pay

# Backups read committed data from another connection (pg_dump) or the file: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

BALANCES = "SELECT card_id, kind, balance FROM ledger_account WHERE card_id IS NOT NULL"
CHAIN_HEADS = """
SELECT l.card_id, l.seq, l.hash FROM ledger_chainlink l
WHERE l.seq = (SELECT max(m.seq) FROM ledger_chainlink m WHERE m.card_id = l.card_id)
"""


@pytest.fixture
def config(tmp_path, monkeypatch) -> BackupConfig:
    monkeypatch.setenv("MEMBERCARD_BACKUP_DIR", str(tmp_path / "backups"))
    return BackupConfig(directory=tmp_path / "backups", hour=3, keep=Keep(), verify=True)


@pytest.fixture
def live() -> engine.Target:
    return engine.Target.from_settings(connection.settings_dict)


@pytest.fixture
def fresh(live, tmp_path):
    """A database that does not exist yet, of the live vendor; dropped afterwards."""
    target = engine.scratch_like(live, tmp_path)
    yield target
    engine.discard(target)


@pytest.fixture
def trading(cashier, finance):
    """Cards with history: sales, top-ups and purchases."""
    cards = [f.sold_card(cashier, value_minor=10_000 + 500 * i) for i in range(3)]
    add(finance, cards[0], 2_500)
    pay(cashier, cards[0], 1_234)
    pay(cashier, cards[1], 9_999)
    return cards


def rows(target: engine.Target, query: str) -> list[tuple]:
    if target.vendor == "sqlite":
        with contextlib.closing(sqlite3.connect(target.name)) as db:
            return sorted(db.execute(query).fetchall())
    with target.pg_connect() as db:
        return sorted(db.execute(query).fetchall())


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_round_trip_keeps_balances_chains_and_append_only_triggers(trading, config, live, fresh):
    record = run_backup(trigger="test", config=config)
    backup = config.directory / record.file

    # The manifest and the checksum file describe the file.
    assert record.vendor == connection.vendor
    assert record.size == backup.stat().st_size > 0
    assert record.sha256 == manifests.sha256_of(backup) == manifests.read_checksum(backup)
    assert record.migrations["ledger"].startswith("00")
    assert manifests.load(backup) == record
    # ``backup`` verified it in a scratch database (MEMBERCARD_BACKUP_VERIFY on).
    assert record.verify == manifests.VERIFY_PASSED, record.verify_output
    assert "everything checks out" in record.verify_output
    assert record.verified is not None

    restored = restore_backup(backup, target=fresh)
    assert restored == record

    balances = rows(live, BALANCES)
    assert len(balances) >= 6 and any(balance for _, _, balance in balances)
    assert rows(fresh, BALANCES) == balances
    heads = rows(live, CHAIN_HEADS)
    assert len(heads) == 3
    assert rows(fresh, CHAIN_HEADS) == heads
    assert rows(fresh, "SELECT count(*) FROM ledger_operation") == [(Operation.objects.count(),)]

    # The restored ledger is append-only too: the triggers came along.
    statement = "UPDATE ledger_operation SET net_minor = net_minor + 1"
    if fresh.vendor == "sqlite":
        db = sqlite3.connect(fresh.name)
        with contextlib.closing(db), pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    else:
        with fresh.pg_connect() as db, pytest.raises(psycopg.Error, match="append-only"):
            db.execute(statement)


def test_a_backup_of_a_tampered_ledger_fails_its_verify(trading, config):
    card = trading[2]
    Account.objects.filter(card=card, kind=AccountKind.CARD_PRINCIPAL).update(
        balance=F("balance") + 1
    )
    record = run_backup(trigger="test", config=config)
    assert record.verify == manifests.VERIFY_FAILED
    assert "PROBLEM" in record.verify_output
    assert manifests.load(config.directory / record.file).verify == manifests.VERIFY_FAILED


def test_backup_command_with_verify_file_verifies_an_existing_backup(trading, config, capsys):
    record = run_backup(trigger="test", config=config, verify=False)
    assert record.verify == manifests.VERIFY_NOT_RUN

    call_command("backup", "--verify", record.file)

    assert "verify: passed" in capsys.readouterr().out
    assert manifests.load(config.directory / record.file).verify == manifests.VERIFY_PASSED


def test_corrupted_backup_is_refused_and_nothing_is_created(trading, config, fresh):
    record = run_backup(trigger="test", config=config, verify=False)
    backup = config.directory / record.file
    corrupt(backup)

    with pytest.raises(ChecksumMismatch) as info:
        restore_backup(backup, target=fresh)
    assert info.value.code == "backup_checksum_mismatch"
    if fresh.vendor == "sqlite":
        assert not Path(fresh.name).exists()
    else:
        with pytest.raises(psycopg.OperationalError):
            fresh.pg_connect().close()

    # Its verify fails too, and says why.
    assert verify_backup(backup, config=config).verify == manifests.VERIFY_FAILED


def test_backup_without_its_checksum_file_is_refused(trading, config, fresh):
    record = run_backup(trigger="test", config=config, verify=False)
    backup = config.directory / record.file
    manifests.checksum_path(backup).unlink()
    with pytest.raises(ChecksumMismatch, match="no readable checksum"):
        restore_backup(backup, target=fresh)


def test_restore_refuses_a_non_empty_database(trading, config, live):
    record = run_backup(trigger="test", config=config, verify=False)
    before = (Operation.objects.count(), ChainLink.objects.count(), rows(live, BALANCES))

    with pytest.raises(TargetNotEmpty) as info:
        restore_backup(config.directory / record.file, target=live)

    assert info.value.code == "restore_target_not_empty"
    assert (Operation.objects.count(), ChainLink.objects.count(), rows(live, BALANCES)) == before


def test_restore_refuses_a_backup_of_the_other_database_kind(tmp_path, live):
    backup = tmp_path / "membercard-other.sqlite3"
    if live.vendor == "sqlite":
        backup.write_bytes(b"PGDMP" + bytes(100))
    else:
        with contextlib.closing(sqlite3.connect(backup)) as db:
            db.execute("CREATE TABLE t (x)")
            db.commit()
    manifests.write_checksum(backup, manifests.sha256_of(backup))
    with pytest.raises(WrongDatabaseVendor):
        restore_backup(backup, target=replace(live, name=str(tmp_path / "x.sqlite3")))


def test_restore_command_exits_non_zero_on_a_bad_checksum(trading, config, fresh):
    record = run_backup(trigger="test", config=config, verify=False)
    corrupt(config.directory / record.file)
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", record.file, "--database-url", fresh.url)


def test_restore_command_restores_into_the_named_database(trading, config, live, fresh, capsys):
    record = run_backup(trigger="test", config=config, verify=False)
    call_command("restore", str(config.directory / record.file), "--database-url", fresh.url)
    assert "restored" in capsys.readouterr().out
    assert rows(fresh, BALANCES) == rows(live, BALANCES)


def test_cli_restore_into_a_non_empty_database_exits_non_zero(tmp_path):
    """The operator's view: a clear message and exit status 1 (a SQLite pair of files)."""
    backup = tmp_path / "membercard-x.sqlite3"
    with contextlib.closing(sqlite3.connect(backup)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    manifests.write_checksum(backup, manifests.sha256_of(backup))
    target = tmp_path / f"full-{secrets.token_hex(2)}.sqlite3"
    with contextlib.closing(sqlite3.connect(target)) as db:
        db.execute("CREATE TABLE kept (x)")
        db.commit()
    result = subprocess.run(
        [sys.executable, "-m", "membercard", "restore", str(backup)],
        env={**_env(tmp_path), "DATABASE_URL": f"sqlite:///{target}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not empty" in result.stderr
    with contextlib.closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("kept",)]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MEMBERCARD_DATA_DIR": str(tmp_path)}


def test_a_sqlite_backup_inside_a_transaction_is_refused_not_hung(config):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: pg_dump reads committed data from its own connection")
    with transaction.atomic(), pytest.raises(BackupError, match="inside a database transaction"):
        Operation.objects.count()
        run_backup(trigger="test", config=config, verify=False)
    assert manifests.all_in(config.directory) == []
