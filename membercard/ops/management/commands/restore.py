"""``membercard restore FILE``: restore a backup into an empty database.

The checksum is checked before anything is touched; a non-empty target is refused.
The target is the configured database (DATABASE_URL, else the SQLite file in the data
folder) unless ``--database-url`` names another one.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from membercard.ops.backups.config import BackupConfig
from membercard.ops.backups.engine import Target
from membercard.ops.backups.errors import BackupError
from membercard.ops.backups.services import restore_backup


class Command(BaseCommand):
    help = "Restore a backup (checked against its checksum) into an empty database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the backup file (a path, or a name in the backup folder)")
        parser.add_argument("--database-url", help="restore into this database instead")

    def handle(self, *args, file: str, database_url: str | None, **options) -> None:
        backup = Path(file)
        if not backup.exists() and not backup.is_absolute():
            backup = BackupConfig.from_env().directory / file
        if database_url:
            target = Target.from_url(database_url)
        else:
            target = Target.from_settings(connection.settings_dict)
            connection.close()  # the restore writes the file / database itself
        try:
            record = restore_backup(backup.resolve(), target=target)
        except BackupError as error:
            raise CommandError(error.message) from error
        made = f" made {record.created_at}, app {record.app_version}" if record else ""
        self.stdout.write(self.style.SUCCESS(f"restored {backup.name}{made} into {target.label}"))
        self.stdout.write(
            "next: run `membercard migrate` (if the code is newer) and `membercard verify`"
        )
