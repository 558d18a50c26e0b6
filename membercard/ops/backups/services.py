"""Backups: make one (and verify it, and apply retention), restore one, verify one.

These are operations on files and whole databases, not business operations: they run
outside any transaction and leave their record in the manifest beside the backup.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.core import files
from membercard.core.actors import Actor
from membercard.core.permissions import Action, require
from membercard.ops.backups import engine, retention
from membercard.ops.backups import manifest as manifests
from membercard.ops.backups.config import BackupConfig
from membercard.ops.backups.errors import (
    BackupError,
    BackupInProgress,
    BackupNotFound,
    ChecksumMismatch,
    WrongDatabaseVendor,
)
from membercard.ops.backups.manifest import Manifest

LOCK_NAME = ".backup.lock"


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@contextlib.contextmanager
def backup_lock(directory: Path) -> Iterator[None]:
    """One backup at a time per backup folder, across processes (an advisory file lock)."""
    files.private_dir(directory)  # 0700, and every file in it 0600 (see core/files.py)
    with files.touch_private(directory / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupInProgress() from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def app_version() -> str:
    try:
        return metadata.version("membercard")
    except metadata.PackageNotFoundError:
        return "unknown"


def migration_state() -> dict[str, str]:
    """The newest applied migration of each app."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _file_name(directory: Path, created: dt.datetime, vendor: str) -> str:
    # Date and time joined by a "T": two digit runs joined by a dash would read, in logs, as
    # one 14-digit number, which the card-data filter removes as a possible bank card.
    stamp = created.astimezone(local_zone()).strftime("%Y%m%dT%H%M%S")
    suffix = manifests.SUFFIXES[vendor]
    name = f"{manifests.PREFIX}{stamp}{suffix}"
    counter = 1
    while (directory / name).exists() or manifests.manifest_path(directory / name).exists():
        counter += 1
        name = f"{manifests.PREFIX}{stamp}-{counter}{suffix}"
    return name


def _remove_leftovers(directory: Path) -> None:
    """Half-written files of a backup that was interrupted (we hold the lock)."""
    for partial in directory.glob(f"{manifests.PREFIX}*{manifests.PARTIAL}"):
        partial.unlink(missing_ok=True)


def run_backup(
    *,
    trigger: str,
    config: BackupConfig | None = None,
    now: dt.datetime | None = None,
    verify: bool | None = None,
) -> Manifest:
    """Back the live database up into the backup folder, checksum it, record it, verify it
    (unless turned off) and apply retention. Raises BackupInProgress if one is running."""
    config = config or BackupConfig.from_env()
    directory = config.directory
    created = now or timezone.now()
    target = engine.Target.from_settings(connection.settings_dict)
    with backup_lock(directory):
        _remove_leftovers(directory)
        name = _file_name(directory, created, target.vendor)
        final = directory / name
        partial = directory / (name + manifests.PARTIAL)
        try:
            engine.dump(connection, target, files.touch_private(partial))
            files.private_file(partial)  # whatever the dump tool did to its mode
            digest = manifests.sha256_of(partial)
            size = partial.stat().st_size
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        manifests.write_checksum(final, digest)
        record = Manifest(
            file=name,
            created_at=created.astimezone(dt.UTC).isoformat(),
            vendor=target.vendor,
            size=size,
            sha256=digest,
            app_version=app_version(),
            migrations=migration_state(),
            trigger=trigger,
        )
        manifests.save(directory, record)
        if config.verify if verify is None else verify:
            record = verify_backup(final, config=config, base=target)
        apply_retention(config=config)
    return record


def check_backup(backup: Path) -> str:
    """Refuse a missing or damaged backup before anything is touched; answers its vendor."""
    if not backup.is_file():
        raise BackupNotFound(_("No backup file at %(path)s.") % {"path": backup})
    expected = manifests.read_checksum(backup)
    if expected is None:
        raise ChecksumMismatch(
            _("%(backup)s has no readable checksum file (%(checksum)s). Nothing was restored.")
            % {"backup": backup.name, "checksum": manifests.checksum_path(backup).name}
        )
    actual = manifests.sha256_of(backup)
    if actual != expected:
        raise ChecksumMismatch(
            _(
                "%(backup)s does not match its checksum (expected %(expected)s…, "
                "found %(actual)s…): the file is damaged. Nothing was restored."
            )
            % {"backup": backup.name, "expected": expected[:12], "actual": actual[:12]},
            expected=expected,
            actual=actual,
        )
    vendor = engine.vendor_of_file(backup)
    if vendor is None:
        raise BackupError(
            _("%(backup)s is neither a SQLite database nor a pg_dump archive.")
            % {"backup": backup.name}
        )
    return vendor


def restore_backup(backup: Path, *, target: engine.Target) -> Manifest | None:
    """Restore ``backup`` into the empty database ``target``; answers the backup's manifest."""
    vendor = check_backup(backup)
    if vendor != target.vendor:
        raise WrongDatabaseVendor(
            _(
                "%(backup)s is a %(vendor)s backup; the target database is %(target)s. "
                "Nothing was restored."
            )
            % {"backup": backup.name, "vendor": vendor, "target": target.vendor}
        )
    engine.require_empty(target)
    engine.load(backup, target)
    return manifests.load(backup)


def verify_backup(
    backup: Path, *, config: BackupConfig | None = None, base: engine.Target | None = None
) -> Manifest:
    """Restore ``backup`` into a scratch database, run ``membercard verify`` there, record
    the result in its manifest, and drop the scratch database."""
    config = config or BackupConfig.from_env()
    base = base or engine.Target.from_settings(connection.settings_dict)
    record = manifests.load(backup)
    if record is None:
        raise BackupNotFound(_("%(backup)s has no manifest.") % {"backup": backup.name})
    with tempfile.TemporaryDirectory(prefix="membercard-verify-") as folder:
        scratch = engine.scratch_like(base, Path(folder))
        try:
            restore_backup(backup, target=scratch)
            passed, output = _run_verify(scratch)
        except BackupError as error:
            passed, output = False, error.message
        finally:
            engine.discard(scratch)
    record.verify = manifests.VERIFY_PASSED if passed else manifests.VERIFY_FAILED
    record.verified_at = timezone.now().astimezone(dt.UTC).isoformat()
    record.verify_output = output[-4000:]
    manifests.save(config.directory, record)
    return record


def _run_verify(scratch: engine.Target) -> tuple[bool, str]:
    env = dict(os.environ, DATABASE_URL=scratch.url)
    result = subprocess.run(
        [sys.executable, "-m", "membercard", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def apply_retention(*, config: BackupConfig | None = None) -> list[Manifest]:
    """Delete the backups retention does not keep (with their manifests); answers them."""
    config = config or BackupConfig.from_env()
    _kept, deleted = retention.choose(manifests.all_in(config.directory), config.keep, local_zone())
    for record in deleted:
        manifests.delete(config.directory, record)
    return deleted


def back_up_now(*, actor: Actor) -> Manifest:
    """The back office's "Back up now" (HQ admin only): the same backup the scheduler makes."""
    require(actor, Action.MAKE_BACKUP, _("make backups"))
    who = actor.staff.get_username() if actor.staff is not None else actor.label
    return run_backup(trigger=f"staff:{who}")
