"""``membercard backup``: a consistent online backup with checksum, manifest and retention.

``membercard backup``                make one (verified unless MEMBERCARD_BACKUP_VERIFY=0)
``membercard backup --verify``       make one and verify it whatever the setting
``membercard backup --verify FILE``  verify an existing backup (restore into a scratch
                                     database, run ``membercard verify`` there)
``membercard backup --list``         the backups kept, newest first
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig
from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.services import run_backup, verify_backup


class Command(BaseCommand):
    help = "Back the database up into the backup folder (checksum, manifest, retention)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--verify",
            nargs="?",
            const=True,
            default=None,
            metavar="FILE",
            help="verify the new backup (or FILE) in a scratch database",
        )
        parser.add_argument("--no-verify", action="store_true", help="do not verify")
        parser.add_argument(
            "--list", dest="show_list", action="store_true", help="list the backups kept"
        )

    def handle(self, *args, verify, no_verify: bool, show_list: bool, **options) -> None:
        config = BackupConfig.from_env()
        try:
            if show_list:
                self._list(config)
                return
            if isinstance(verify, str):
                backup = Path(verify)
                if not backup.is_absolute() and not backup.exists():
                    backup = config.directory / backup
                record = verify_backup(backup, config=config)
            else:
                record = run_backup(
                    trigger="command",
                    config=config,
                    verify=False if no_verify else (True if verify else None),
                )
                self.stdout.write(
                    f"backup: {config.directory / record.file} "
                    f"({record.size} bytes, sha256 {record.sha256})"
                )
        except BackupError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"verify: {record.verify}")
        if record.verify_failed:
            self.stdout.write(record.verify_output)
            raise CommandError(f"verify FAILED for {record.file}")

    def _list(self, config: BackupConfig) -> None:
        for record in manifests.all_in(config.directory):
            self.stdout.write(
                f"{record.created_at}  {record.file}  {record.size} bytes  verify: {record.verify}"
            )
