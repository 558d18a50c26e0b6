"""Backup configuration, read from the environment when asked (so tests can change it).

MEMBERCARD_BACKUP_DIR     default: <DATA_DIR>/backups
MEMBERCARD_BACKUP_HOUR    default 3: the daily backup runs at 03:00 local time (TIME_ZONE)
MEMBERCARD_BACKUP_KEEP    default 7,4,12: newest daily, weekly (ISO week), monthly backups kept
MEMBERCARD_BACKUP_VERIFY  default on: restore every new backup into a scratch database and
                          run ``membercard verify`` there
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Keep:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    @classmethod
    def parse(cls, text: str) -> Keep:
        parts = [part.strip() for part in text.split(",")]
        try:
            numbers = [int(part) for part in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 3 or min(numbers) < 0:
            raise ImproperlyConfigured(
                f"MEMBERCARD_BACKUP_KEEP must be three counts daily,weekly,monthly, not {text!r}"
            )
        if sum(numbers) == 0:
            raise ImproperlyConfigured("MEMBERCARD_BACKUP_KEEP must keep at least one backup")
        return cls(*numbers)


@dataclass(frozen=True)
class BackupConfig:
    directory: Path
    hour: int
    keep: Keep
    verify: bool

    @classmethod
    def from_env(cls) -> BackupConfig:
        directory = os.environ.get("MEMBERCARD_BACKUP_DIR") or str(settings.DATA_DIR / "backups")
        hour_text = os.environ.get("MEMBERCARD_BACKUP_HOUR", "3")
        if not hour_text.strip().isdigit() or not 0 <= int(hour_text) <= 23:
            raise ImproperlyConfigured(f"MEMBERCARD_BACKUP_HOUR must be 0..23, not {hour_text!r}")
        verify = os.environ.get("MEMBERCARD_BACKUP_VERIFY", "1").lower()
        return cls(
            directory=Path(directory).expanduser().resolve(),
            hour=int(hour_text),
            keep=Keep.parse(os.environ.get("MEMBERCARD_BACKUP_KEEP", "7,4,12")),
            verify=verify in {"1", "true", "yes", "on"},
        )
