"""The audit log: who did what, where, when and from which address.

Append-only: the database itself refuses UPDATE and DELETE of a row (triggers installed
by migration 0002 from ``migrations/sql/``). The one update it lets through is Django
setting ``staff`` to NULL when a staff member is deleted: the row keeps the username.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign-in")
    SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
    SIGN_OUT = "sign_out", _("Sign-out")
    SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in locked out")
    SIGN_IN_UNLOCKED = "sign_in_unlocked", _("Sign-in lock lifted")
    SECOND_FACTOR = "second_factor", _("Second factor change")
    CHANGE = "change", _("Change")
    TERMINAL_CHANGE = "terminal_change", _("Terminal key change")
    MEMBER_BULK_READ = "member_bulk_read", _("Member data read in bulk")
    MEMBER_EXPORT = "member_export", _("Member data export")
    AUDIT_EXPORT = "audit_export", _("Audit log export")
    CLI = "cli", _("Operator command")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True, db_index=True)
    role = models.CharField(_("role"), max_length=16, blank=True)
    location_code = models.CharField(_("location"), max_length=16, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=AuditKind.choices, db_index=True)
    what = models.CharField(
        _("what"), max_length=120, blank=True, help_text=_("URL name or action.")
    )
    method = models.CharField(_("method"), max_length=8, blank=True)
    path = models.CharField(_("path"), max_length=255, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("Objects concerned.")
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username} {self.what}"

    @property
    def role_label(self) -> str:
        from membercard.core.models import Role

        return str(dict(Role.choices).get(self.role, self.role))
