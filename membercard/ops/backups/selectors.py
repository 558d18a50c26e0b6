"""What the back office shows about backups (read-only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig
from membercard.ops.backups.manifest import Manifest

MAX_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class BackupStatus:
    config: BackupConfig
    backups: list[Manifest]  # newest first
    now: dt.datetime

    @property
    def last(self) -> Manifest | None:
        return self.backups[0] if self.backups else None

    @property
    def too_old(self) -> bool:
        return self.last is None or self.now - self.last.created > MAX_AGE

    @property
    def total_size(self) -> int:
        return sum(backup.size for backup in self.backups)


def backup_status(*, now: dt.datetime | None = None) -> BackupStatus:
    config = BackupConfig.from_env()
    return BackupStatus(
        config=config, backups=manifests.all_in(config.directory), now=now or timezone.now()
    )
