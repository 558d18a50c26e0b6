"""Locations (one HQ, many stores), staff with one role at one location, POS terminals, and
the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    HQ = "hq", _("Headquarters")
    STORE = "store", _("Store")


class Location(models.Model):
    code = models.CharField(max_length=16, unique=True, help_text="Short code, e.g. HQ, S01.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=LocationKind.choices)
    address = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            # Exactly one headquarters per installation.
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="hq"), name="one_hq"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_hq(self) -> bool:
        return self.kind == LocationKind.HQ


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ admin")
    HQ_FINANCE = "hq_finance", _("HQ finance")
    HQ_STOCK = "hq_stock", _("HQ stock keeper")
    STORE_MANAGER = "store_manager", _("Store manager")
    STORE_CASHIER = "store_cashier", _("Store cashier")


HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE, Role.HQ_STOCK})
STORE_ROLES = frozenset({Role.STORE_MANAGER, Role.STORE_CASHIER})
# Roles that must sign in with a second factor (DESIGN.md: "a second factor for HQ and managers").
SECOND_FACTOR_ROLES = HQ_ROLES | {Role.STORE_MANAGER}


class Staff(AbstractUser):
    """A person who signs in, with one role at one location (HQ roles sit at HQ)."""

    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    language = models.CharField(max_length=8, blank=True, help_text="Preferred UI language.")
    # Set by `membercard demo` only (no form or service sets it): the demo's documented logins
    # work without an authenticator app. Shown on the staff list; never set in production.
    demo_login = models.BooleanField(
        default=False,
        editable=False,
        help_text="Demo account: second factor not required.",
    )

    class Meta:
        verbose_name = "staff member"
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def needs_second_factor(self) -> bool:
        """HQ roles, store managers and Django superusers must sign in with a second factor;
        cashiers may (once they enrol, they are asked every time)."""
        if self.demo_login:
            return False
        return self.is_superuser or self.role in SECOND_FACTOR_ROLES

    def clean(self) -> None:
        super().clean()
        problem = role_location_problem(self.role, self.location)
        if problem:
            raise ValidationError({"location": problem})


def role_location_problem(role: str, location: Location | None) -> str | None:
    """Why ``role`` cannot sit at ``location``, or None: HQ roles at HQ, store roles in a store."""
    if not role:
        return None
    if location is None:
        return _("A staff member with a role works at a location.")
    if role in HQ_ROLES and not location.is_hq:
        return _("HQ roles work at headquarters.")
    if role in STORE_ROLES and location.is_hq:
        return _("Store roles work at a store.")
    return None


class Terminal(models.Model):
    """A POS terminal: a device with its own key and store scope, acting like a cashier."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(max_length=80)
    key_prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the key.")
    key_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="terminal_name_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.location.code}/{self.name}"


# The audit log ---------------------------------------------------------------------------
#
# Who did what, where, when and from which address (written by ``membercard.core.audit``).
# Append-only: the database itself refuses UPDATE and DELETE of a row (triggers installed by
# the ops app's migration 0002; the table keeps its ``ops_auditevent`` name since the model
# moved down here). The one update it lets through is Django setting ``staff`` to NULL when
# a staff member is deleted: the row keeps the username.


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
    """One audited action. ``status`` is the HTTP status of the answer when the row was
    written after it (a refusal, a validation error, a read); a row written inside the
    action's own transaction is written before the answer exists, so its status is empty
    and its details say ``"outcome": "committed"``."""

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
        db_table = "ops_auditevent"
        ordering = ["-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username} {self.what}"

    @property
    def role_label(self) -> str:
        return str(dict(Role.choices).get(self.role, self.role))
