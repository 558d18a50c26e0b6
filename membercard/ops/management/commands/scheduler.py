"""``membercard scheduler``: the daily backup at MEMBERCARD_BACKUP_HOUR and the daily jobs
(points expiry, tier review) once per business date (``serve`` starts it).

Only one runs per backup folder (a lock file there); ``--once`` runs a due backup and the
due jobs, and exits (for cron or a systemd timer, see docs/backups.md).
"""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.scheduler import Scheduler, scheduler_lock
from membercard.ops.backups.services import run_backup
from membercard.ops.jobs import describe, record_backup


def _exit_on_term(signum, frame) -> None:
    # SystemExit unwinds: a scratch database is dropped, a verify child is killed.
    sys.exit(0)


class Command(BaseCommand):
    help = "Run the daily backup and the daily jobs when due (keeps running)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run a due backup and the due jobs, and exit"
        )
        parser.add_argument(
            "--parent-pid", type=int, default=None, help="exit when this process is gone"
        )

    def handle(self, *args, once: bool, parent_pid: int | None, **options) -> None:
        signal.signal(signal.SIGTERM, _exit_on_term)
        scheduler = Scheduler()
        try:
            if once:
                with scheduler_lock(scheduler.config.directory):
                    self._once(scheduler)
                return
            scheduler.run_forever(parent_pid=parent_pid)
        except BackupError as error:
            raise CommandError(error.message) from error

    def _once(self, scheduler: Scheduler) -> None:
        """The due backup (its failure is said after the jobs ran), then the due jobs."""
        now, failure = timezone.now(), None
        if not scheduler.is_due(now):
            self.stdout.write("no backup due")
        else:
            started = timezone.now()
            try:
                record = run_backup(trigger="scheduler", config=scheduler.config)
            except Exception as error:  # said after the jobs ran
                failure = error
                message = getattr(error, "message", "") or f"{type(error).__name__}: {error}"
                record_backup(started=started, error=str(message))
            else:
                details = {"file": record.file, "verify": record.verify}
                record_backup(started=started, details=details)
                self.stdout.write(f"backup made: {record.file}, verify: {record.verify}")
        runs = scheduler.run_jobs(now)
        for run in runs:
            self.stdout.write(f"{run.job}: {'ok' if run.ok else 'FAILED'}: {describe(run)}")
        if not runs:
            self.stdout.write("no job due")
        if failure is not None:
            raise failure
        if any(not run.ok for run in runs):
            raise CommandError("a daily job failed (see above)")
