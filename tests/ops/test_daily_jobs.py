"""The scheduler runs points expiry and the tier review by itself, once per business date,
beside the backup: each idempotent, each recorded (when, ok or failed, what it did) and
shown on the backups page; a failing job is recorded and does not stop the others.
Time is pinned; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from membercard.core.models import AuditEvent
from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.models import TierChange
from membercard.loyalty.services.tiers import current_tier
from membercard.ops import jobs
from membercard.ops.backups.config import BackupConfig, Keep
from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.scheduler import Scheduler
from membercard.ops.models import Job, JobRun
from tests.loyalty.helpers import lapsing_silver_card, lots

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YEAR = dt.datetime(2029, 1, 1, 4, 0, 30, tzinfo=SHANGHAI)  # business date 1 Jan 2029


@pytest.fixture(autouse=True)
def _shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def silver_card(cashier):
    card = lapsing_silver_card(cashier)
    assert current_tier(card).code == "silver"
    return card


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def state(card) -> tuple:
    """What the jobs may change: operations, tier changes, the card's points left."""
    return (
        Operation.objects.count(),
        TierChange.objects.count(),
        sum(remaining for _, remaining, _ in lots(card)),
    )


@pytest.mark.django_db
def test_the_daily_jobs_run_once_per_business_date_and_say_what_they_did(silver_card):
    earned = sum(points for points, _, _ in lots(silver_card))
    assert earned > 0
    with at(NEW_YEAR):
        runs = jobs.run_due_jobs(NEW_YEAR)
    assert [(run.job, run.ok, run.run_on) for run in runs] == [
        (Job.EXPIRE_POINTS, True, dt.date(2029, 1, 1)),
        (Job.REVIEW_TIERS, True, dt.date(2029, 1, 1)),
    ]
    expiry, review = runs
    assert jobs.describe(expiry) == f"expired {earned} points on 1 card"
    assert jobs.describe(review) == f"{silver_card.product.code}: 1 of 1 cards moved down"
    assert current_tier(silver_card) is None
    assert Operation.objects.filter(kind=OperationKind.POINTS_EXPIRE).count() == 1
    audited = AuditEvent.objects.filter(what__startswith="scheduler ")
    assert sorted(audited.values_list("what", flat=True)) == [
        "scheduler expire_points",
        "scheduler review_tiers",
    ]

    # Later the same business date: nothing is due, nothing changes.
    before = state(silver_card)
    with at(NEW_YEAR + dt.timedelta(hours=20)):
        assert jobs.run_due_jobs(NEW_YEAR + dt.timedelta(hours=20)) == []
    assert state(silver_card) == before
    assert JobRun.objects.count() == 2

    # Even forced to run again for the same date, the jobs change nothing.
    with at(NEW_YEAR + dt.timedelta(hours=1)):
        again = [jobs.run_job(daily, on=dt.date(2029, 1, 1)) for daily in jobs.DAILY_JOBS]
    assert state(silver_card) == before
    assert [jobs.describe(run) for run in again] == [
        "expired 0 points on 0 cards",
        "no review due",
    ]


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others(silver_card):
    def broken(on):
        raise RuntimeError("points table unreachable")

    daily = (jobs.DailyJob(Job.EXPIRE_POINTS, broken), jobs.DAILY_JOBS[1])
    with at(NEW_YEAR):
        failed, reviewed = jobs.run_due_jobs(NEW_YEAR, daily)
    assert (failed.ok, failed.error) == (False, "RuntimeError: points table unreachable")
    assert jobs.describe(failed) == "RuntimeError: points table unreachable"
    assert reviewed.ok and current_tier(silver_card) is None
    assert not Operation.objects.filter(kind=OperationKind.POINTS_EXPIRE).exists()

    # Not retried at every wake; after RETRY_AFTER (the job works again), it runs once.
    soon = NEW_YEAR + dt.timedelta(minutes=5)
    with at(soon):
        assert jobs.run_due_jobs(soon) == []
    later = NEW_YEAR + jobs.RETRY_AFTER + dt.timedelta(minutes=1)
    with at(later):
        (retried,) = jobs.run_due_jobs(later)
    assert (retried.job, retried.ok) == (Job.EXPIRE_POINTS, True)
    assert Operation.objects.filter(kind=OperationKind.POINTS_EXPIRE).count() == 1


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections between naps
def test_the_scheduler_loop_runs_the_jobs_even_when_the_backup_fails(tmp_path, silver_card):
    def failing_backup(**kwargs):
        raise BackupError("disk full")

    class Stop(Exception):
        pass

    def sleep(seconds):
        raise Stop

    config = BackupConfig(directory=tmp_path / "b", hour=3, keep=Keep(), verify=False)
    scheduler = Scheduler(config, backup=failing_backup)
    with at(NEW_YEAR), pytest.raises(Stop):
        scheduler.run_forever(sleep=sleep, clock=lambda: NEW_YEAR)
    runs = {run.job: run for run in JobRun.objects.all()}
    assert set(runs) == {Job.BACKUP, Job.EXPIRE_POINTS, Job.REVIEW_TIERS}
    assert (runs[Job.BACKUP].ok, runs[Job.BACKUP].error) == (False, "BackupError: disk full")
    assert runs[Job.EXPIRE_POINTS].ok and runs[Job.REVIEW_TIERS].ok
    assert current_tier(silver_card) is None


@pytest.mark.django_db(transaction=True)
def test_scheduler_once_makes_the_backup_and_runs_the_due_jobs(
    tmp_path, monkeypatch, silver_card, capsys
):
    monkeypatch.setenv("MEMBERCARD_BACKUP_DIR", str(tmp_path / "b"))
    monkeypatch.setenv("MEMBERCARD_BACKUP_VERIFY", "0")
    with at(NEW_YEAR):
        call_command("scheduler", "--once")
        call_command("scheduler", "--once")
    out = capsys.readouterr().out
    assert "backup made:" in out and "no backup due" in out and "no job due" in out
    assert "expire_points: ok: expired" in out and "review_tiers: ok:" in out
    assert sorted(JobRun.objects.values_list("job", "ok")) == [
        (Job.BACKUP, True),
        (Job.EXPIRE_POINTS, True),
        (Job.REVIEW_TIERS, True),
    ]
