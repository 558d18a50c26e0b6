"""Retention keeps the newest N daily, weekly (ISO week) and monthly backups, counted in
local days, and deletes the rest with their manifests and checksum files (dates injected)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig, Keep
from membercard.ops.backups.manifest import Manifest
from membercard.ops.backups.services import apply_retention

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fake_backup(directory: Path, local: dt.datetime, verify: str = "passed") -> Manifest:
    """A backup file with its checksum and manifest, made at ``local`` (Asia/Shanghai)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"membercard-{local:%Y%m%d-%H%M%S}.sqlite3"
    path = directory / name
    path.write_bytes(b"SQLite format 3\x00" + name.encode())
    digest = manifests.sha256_of(path)
    manifests.write_checksum(path, digest)
    record = Manifest(
        file=name,
        created_at=local.replace(tzinfo=SHANGHAI).astimezone(dt.UTC).isoformat(),
        vendor="sqlite",
        size=path.stat().st_size,
        sha256=digest,
        app_version="test",
        verify=verify,
    )
    manifests.save(directory, record)
    return record


def config(directory: Path, keep: Keep | None = None) -> BackupConfig:
    return BackupConfig(directory=directory, hour=3, keep=keep or Keep(), verify=False)


@pytest.fixture(autouse=True)
def _shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_daily_weekly_monthly_are_kept_and_the_rest_deleted_with_their_files(tmp_path):
    # One backup every night at 03:00 local (19:00 UTC the day before) for a year and a half.
    for day in days(dt.date(2025, 6, 1), dt.date(2026, 11, 23)):  # 2026-11-23 is a Monday
        fake_backup(tmp_path, dt.datetime.combine(day, dt.time(3)))

    deleted = apply_retention(config=config(tmp_path))

    kept = {m.created.astimezone(SHANGHAI).date() for m in manifests.all_in(tmp_path)}
    daily = set(days(dt.date(2026, 11, 17), dt.date(2026, 11, 23)))
    weekly = {dt.date(2026, 11, 15), dt.date(2026, 11, 8)}  # the Sundays of older weeks
    month_ends = [(10, 31), (9, 30), (8, 31), (7, 31), (6, 30), (5, 31), (4, 30), (3, 31)]
    month_ends += [(2, 28), (1, 31)]
    monthly = {dt.date(2026, month, day) for month, day in month_ends}
    monthly.add(dt.date(2025, 12, 31))
    assert kept == daily | weekly | monthly
    assert len(kept) == 20
    assert len(deleted) == 541 - 20
    # Deleted backups take their manifest and checksum along; nothing else is left.
    files = {path.name for path in tmp_path.iterdir()}
    assert len(files) == 3 * 20
    gone = tmp_path / deleted[0].file
    assert not gone.exists()
    assert not manifests.manifest_path(gone).exists()
    assert not manifests.checksum_path(gone).exists()


def test_days_are_local_days(tmp_path):
    # 01:30 and 23:30 local on the same local day are one day, though two UTC dates.
    early = fake_backup(tmp_path, dt.datetime(2026, 11, 23, 1, 30))
    late = fake_backup(tmp_path, dt.datetime(2026, 11, 23, 23, 30))
    assert early.created.date() != late.created.date()  # UTC dates differ

    deleted = apply_retention(config=config(tmp_path, Keep(daily=7, weekly=0, monthly=0)))

    assert [m.file for m in deleted] == [early.file]


def test_a_passing_backup_stands_for_its_day_rather_than_a_failed_one(tmp_path):
    good = fake_backup(tmp_path, dt.datetime(2026, 11, 22, 3))
    failed = fake_backup(tmp_path, dt.datetime(2026, 11, 22, 15), verify="failed")
    fake_backup(tmp_path, dt.datetime(2026, 11, 23, 3))

    apply_retention(config=config(tmp_path, Keep(daily=2, weekly=0, monthly=0)))

    kept = {m.file for m in manifests.all_in(tmp_path)}
    assert good.file in kept
    assert failed.file not in kept


def test_the_newest_backup_is_kept_even_when_its_verify_failed(tmp_path):
    fake_backup(tmp_path, dt.datetime(2026, 11, 23, 3))
    newest = fake_backup(tmp_path, dt.datetime(2026, 11, 23, 15), verify="failed")

    apply_retention(config=config(tmp_path, Keep(daily=1, weekly=0, monthly=0)))

    assert manifests.all_in(tmp_path)[0].file == newest.file


@pytest.mark.parametrize("text", ["7,4", "a,b,c", "7,-1,2", "0,0,0", ""])
def test_bad_keep_setting_is_refused(text):
    with pytest.raises(ImproperlyConfigured):
        Keep.parse(text)


def test_keep_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEMBERCARD_BACKUP_KEEP", "3, 2, 1")
    monkeypatch.setenv("MEMBERCARD_BACKUP_HOUR", "5")
    loaded = BackupConfig.from_env()
    assert loaded.keep == Keep(3, 2, 1)
    assert loaded.hour == 5
