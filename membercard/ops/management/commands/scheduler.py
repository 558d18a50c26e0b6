"""``membercard scheduler``: the daily backup at MEMBERCARD_BACKUP_HOUR (``serve`` starts it).

Only one runs per backup folder (a lock file there); ``--once`` runs a due backup and exits
(for cron or a systemd timer, see docs/backups.md).
"""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.scheduler import Scheduler, scheduler_lock
from membercard.ops.backups.services import run_backup


def _exit_on_term(signum, frame) -> None:
    # SystemExit unwinds: a scratch database is dropped, a verify child is killed.
    sys.exit(0)


class Command(BaseCommand):
    help = "Run the daily backup at the configured hour (keeps running)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run a due backup and exit")
        parser.add_argument(
            "--parent-pid", type=int, default=None, help="exit when this process is gone"
        )

    def handle(self, *args, once: bool, parent_pid: int | None, **options) -> None:
        signal.signal(signal.SIGTERM, _exit_on_term)
        scheduler = Scheduler()
        try:
            if once:
                with scheduler_lock(scheduler.config.directory):
                    if not scheduler.is_due(timezone.now()):
                        self.stdout.write("no backup due")
                        return
                    record = run_backup(trigger="scheduler", config=scheduler.config)
                self.stdout.write(f"backup made: {record.file}, verify: {record.verify}")
                return
            scheduler.run_forever(parent_pid=parent_pid)
        except BackupError as error:
            raise CommandError(error.message) from error
