"""The scheduler makes the daily backup once when it is due (times injected, never slept)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig, Keep
from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.manifest import Manifest
from membercard.ops.backups.scheduler import (
    MAX_NAP,
    RETRY_AFTER,
    Scheduler,
    SchedulerAlreadyRunning,
    scheduler_lock,
)
from membercard.ops.backups.services import backup_lock, run_backup

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


def recorded_backup(*, trigger: str, config: BackupConfig, now: dt.datetime) -> Manifest:
    """Stands in for run_backup where only the schedule matters: a file and its manifest,
    under the same backup lock."""
    with backup_lock(config.directory):
        name = f"membercard-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.sqlite3"
        (config.directory / name).write_bytes(b"SQLite format 3\x00")
        record = Manifest(
            file=name,
            created_at=now.astimezone(dt.UTC).isoformat(),
            vendor="sqlite",
            size=16,
            sha256="0" * 64,
            app_version="test",
            trigger=trigger,
        )
        manifests.save(config.directory, record)
    return record


@pytest.fixture
def config(tmp_path) -> BackupConfig:
    return BackupConfig(directory=tmp_path / "b", hour=3, keep=Keep(), verify=False)


@pytest.fixture
def scheduler(config, db) -> Scheduler:
    # db: after its backup a due run purges old idempotency keys.
    return Scheduler(config, backup=recorded_backup)


def backups(scheduler) -> list[str]:
    return [m.file for m in manifests.all_in(scheduler.config.directory)]


@pytest.mark.django_db(transaction=True)
def test_a_due_backup_is_made_once_for_real(config):
    """The real backup, run by the scheduler: a restorable file, once."""
    scheduler = Scheduler(config)
    assert scheduler.backup is run_backup
    made = scheduler.run_due(local(23, 3))
    assert made is not None
    backup = config.directory / made.file
    assert manifests.read_checksum(backup) == manifests.sha256_of(backup) == made.sha256
    assert made.size == backup.stat().st_size > 0
    assert scheduler.run_due(local(23, 3, 1)) is None
    assert scheduler.run_due(local(24, 2, 59)) is None
    assert len(backups(scheduler)) == 1


def test_due_backup_runs_once_at_the_configured_hour(scheduler):
    first = scheduler.run_due(local(20, 1))  # nothing ever made: catch up at once
    assert first is not None
    assert scheduler.run_due(local(20, 2, 59)) is None  # yesterday's slot is covered

    made = scheduler.run_due(local(20, 3, 0))
    assert made is not None
    assert made.created == local(20, 3)
    assert made.trigger == "scheduler"
    assert (scheduler.config.directory / made.file).is_file()

    # The same day, later: already done (the manifest says so), nothing new.
    assert scheduler.run_due(local(20, 3, 1)) is None
    assert scheduler.run_due(local(20, 23, 59)) is None
    # A second scheduler object (a restart) reads the same manifest.
    assert Scheduler(scheduler.config).run_due(local(21, 2)) is None
    assert len(backups(scheduler)) == 2

    assert scheduler.run_due(local(21, 3, 0)) is not None
    assert len(backups(scheduler)) == 3


def test_a_missed_night_is_caught_up_once(scheduler):
    scheduler.run_due(local(18, 3))
    # The server was off on the 19th at 03:00 and starts again at 10:00.
    assert scheduler.run_due(local(19, 10)) is not None
    assert scheduler.run_due(local(19, 10, 1)) is None
    assert len(backups(scheduler)) == 2


def test_a_backup_made_by_hand_after_the_hour_counts(scheduler):
    scheduler.run_due(local(22, 3))
    scheduler.backup(trigger="staff:admin", config=scheduler.config, now=local(23, 2))
    # Before the hour, a hand-made backup does not replace the nightly one ...
    assert scheduler.run_due(local(23, 3)) is not None
    # ... after it, it does.
    scheduler.backup(trigger="staff:admin", config=scheduler.config, now=local(23, 14))
    assert scheduler.run_due(local(24, 2)) is None


def test_a_failed_backup_is_retried_later_not_at_every_tick(scheduler):
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["now"])
        raise BackupError("disk full")

    scheduler.backup = failing
    assert scheduler.run_due(local(23, 3)) is None
    assert scheduler.run_due(local(23, 3, 5)) is None
    assert len(calls) == 1
    assert scheduler.run_due(local(23, 3) + RETRY_AFTER) is None
    assert len(calls) == 2


def test_a_running_backup_is_not_doubled(scheduler):
    with backup_lock(scheduler.config.directory):
        assert scheduler.run_due(local(23, 3)) is None
    assert backups(scheduler) == []
    assert scheduler.run_due(local(23, 3, 1)) is not None


def test_only_one_scheduler_per_backup_folder(scheduler):
    folder = scheduler.config.directory
    with scheduler_lock(folder), pytest.raises(SchedulerAlreadyRunning), scheduler_lock(folder):
        pass
    with scheduler_lock(scheduler.config.directory):  # free again
        pass


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections between naps
def test_the_loop_runs_what_is_due_then_sleeps_with_an_injected_clock(scheduler):
    naps = []

    class Stop(Exception):
        pass

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 3:
            raise Stop

    ticks = iter([local(23, 3), local(23, 3), local(23, 3, 1), local(23, 3, 1)] * 2)
    with pytest.raises(Stop):
        scheduler.run_forever(sleep=sleep, clock=lambda: next(ticks))

    assert len(backups(scheduler)) == 1
    assert naps == [MAX_NAP.total_seconds()] * 3
    assert scheduler.wake_at(local(23, 3, 1)) == local(24, 3)


def test_the_loop_ends_when_its_parent_is_gone(scheduler):
    scheduler.run_forever(sleep=pytest.fail, clock=lambda: local(23, 3), parent_pid=-1)
    assert backups(scheduler) == []


def test_after_its_backup_a_due_run_purges_idempotency_keys_past_their_retention(
    scheduler, settings
):
    from membercard.ledger.models import IdempotencyRecord

    settings.MEMBERCARD_IDEMPOTENCY_KEEP_DAYS = 30
    now = local(20, 3, 5)
    for scope, age in (("staff:1", 31), ("staff:2", 29), ("staff:3", 1)):
        IdempotencyRecord.objects.create(
            scope=scope, key="k", fingerprint="f" * 64, created_at=now - dt.timedelta(days=age)
        )

    assert scheduler.run_due(now) is not None

    assert sorted(IdempotencyRecord.objects.values_list("scope", flat=True)) == [
        "staff:2",
        "staff:3",
    ]


def test_idempotency_keys_are_kept_at_least_seven_days(db):
    from membercard.ledger.idempotency import purge_old_keys
    from membercard.ledger.models import IdempotencyRecord

    now = local(20, 3)
    IdempotencyRecord.objects.create(
        scope="staff:1", key="k", fingerprint="f" * 64, created_at=now - dt.timedelta(days=6)
    )
    assert purge_old_keys(now, keep_days=1) == 0
    assert IdempotencyRecord.objects.count() == 1
