"""The daily backup and the daily jobs without anyone remembering them.

``Scheduler.run_due(now)`` makes the backup when the latest scheduled time (today at the
configured hour, or yesterday's if today's has not come yet) has passed and no backup was
made since; the manifest in the backup folder is the memory, so a restart or a missed
night catches up once and never twice. ``run_forever`` sleeps until the next due time;
tests inject ``now`` and never sleep. Only one scheduler runs per backup folder: it holds
an exclusive lock on ``scheduler.lock`` there for its whole life.

At every wake (at least every ``MAX_NAP``) the loop also runs the daily jobs that are due
(``ops.jobs``: points expiry, tier review; once per business date, each on its own), and
the scheduler's backups are recorded as job runs too, so the backups page shows each
job's last run. A failing backup does not stop the jobs, nor a failing job the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercard.approvals.services import expire_due
from membercard.core import files
from membercard.ledger.idempotency import purge_old_keys
from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig
from membercard.ops.backups.errors import BackupError, BackupInProgress
from membercard.ops.backups.manifest import Manifest
from membercard.ops.backups.services import local_zone, run_backup
from membercard.ops.jobs import DAILY_JOBS, DailyJob, JobRun, record_backup, run_due_jobs

log = logging.getLogger("membercard.backups")

LOCK_NAME = "scheduler.lock"
# The loop wakes at least this often to notice that its parent (``serve``) has gone.
MAX_NAP = dt.timedelta(seconds=30)
RETRY_AFTER = dt.timedelta(minutes=15)


class SchedulerAlreadyRunning(BackupError):
    code = "scheduler_already_running"
    status = 409
    default_message = _("Another backup scheduler already runs for this backup folder.")


@contextlib.contextmanager
def scheduler_lock(directory: Path) -> Iterator[None]:
    files.private_dir(directory)
    with files.touch_private(directory / LOCK_NAME).open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SchedulerAlreadyRunning() from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Scheduler:
    def __init__(
        self,
        config: BackupConfig | None = None,
        backup: Callable[..., Manifest] = run_backup,
        jobs: tuple[DailyJob, ...] = DAILY_JOBS,
    ) -> None:
        self.config = config or BackupConfig.from_env()
        self.backup = backup
        self.jobs = jobs
        self.failed_at: dt.datetime | None = None

    def slot_before(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled backup time at or before ``now`` (aware, local zone)."""
        local = now.astimezone(local_zone())
        slot = local.replace(hour=self.config.hour, minute=0, second=0, microsecond=0)
        if slot > local:
            slot = (slot - dt.timedelta(days=1)).replace(hour=self.config.hour)
        return slot

    def next_slot(self, now: dt.datetime) -> dt.datetime:
        slot = self.slot_before(now)
        return (slot + dt.timedelta(days=1)).replace(hour=self.config.hour)

    def is_due(self, now: dt.datetime) -> bool:
        slot = self.slot_before(now)
        backups = manifests.all_in(self.config.directory)
        return not any(backup.created >= slot for backup in backups)

    def run_due(self, now: dt.datetime | None = None) -> Manifest | None:
        """Make the backup if one is due at ``now``; answers it, or None if none was due."""
        now = now or timezone.now()
        if not self.is_due(now):
            return None
        if self.failed_at is not None and now - self.failed_at < RETRY_AFTER:
            return None
        try:
            record = self.backup(trigger="scheduler", config=self.config, now=now)
        except BackupInProgress:
            log.info("backup due, but one is running already; looking again later")
            return None
        except Exception as error:
            self.failed_at = now
            log.exception("scheduled backup failed; retrying in %s", RETRY_AFTER)
            record_backup(started=now, error=f"{type(error).__name__}: {error}"[:2_000])
            return None
        self.failed_at = None
        record_backup(started=now, details={"file": record.file, "verify": record.verify})
        log.info("scheduled backup %s made, verify: %s", record.file, record.verify)
        # The day's housekeeping rides on the daily backup: old idempotency keys go once
        # they are safely in a backup.
        purged = purge_old_keys(now)
        if purged:
            log.info("%d idempotency keys older than the retention purged", purged)
        expired = expire_due(now)
        if expired:
            log.info("%d approval requests past their expiry marked expired", expired)
        return record

    def run_jobs(self, now: dt.datetime | None = None) -> list[JobRun]:
        """The daily jobs due at ``now`` (see ``ops.jobs``); never raises."""
        try:
            return run_due_jobs(now or timezone.now(), self.jobs)
        except Exception:
            log.exception("the daily jobs could not run; looking again later")
            return []

    def wake_at(self, now: dt.datetime) -> dt.datetime:
        if self.is_due(now):
            return (self.failed_at or now) + RETRY_AFTER
        return self.next_slot(now)

    def run_forever(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], dt.datetime] = timezone.now,
        parent_pid: int | None = None,
    ) -> None:
        with scheduler_lock(self.config.directory):
            log.info(
                "backup scheduler: daily at %02d:00 into %s",
                self.config.hour,
                self.config.directory,
            )
            while parent_pid is None or os.getppid() == parent_pid:
                close_old_connections()
                moment = clock()
                self.run_due(moment)
                self.run_jobs(moment)
                now = clock()
                nap = min(self.wake_at(now) - now, MAX_NAP)
                sleep(max(nap.total_seconds(), 1.0))
