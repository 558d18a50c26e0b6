"""Backup and restore refusals (domain errors with a stable code)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError


class BackupError(DomainError):
    code = "backup_failed"
    status = 500
    default_message = _("The backup failed.")


class BackupInProgress(BackupError):
    code = "backup_in_progress"
    status = 409
    default_message = _("A backup is already running; try again when it has finished.")


class BackupNotFound(BackupError):
    code = "backup_not_found"
    status = 404
    default_message = _("No such backup file.")


class ChecksumMismatch(BackupError):
    code = "backup_checksum_mismatch"
    status = 422
    default_message = _(
        "The backup does not match its checksum: it is damaged. Nothing was restored."
    )


class TargetNotEmpty(BackupError):
    code = "restore_target_not_empty"
    status = 409
    default_message = _("The target database is not empty. Nothing was restored.")


class WrongDatabaseVendor(BackupError):
    code = "restore_wrong_vendor"
    status = 422
    default_message = _("This backup is for another kind of database. Nothing was restored.")
