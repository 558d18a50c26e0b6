"""Locations (one HQ, many stores), staff with one role at one location, POS terminals."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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
