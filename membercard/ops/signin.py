"""Staff sign-in security: lifting sign-in locks, enrolling and resetting the second factor.

Locks are django-axes' ``AccessAttempt`` rows (counted per username and per client address
in the database); second factors are django-otp's devices (a TOTP device, and a static
device holding the one-time recovery codes). Nothing else is stored. Every change here
writes its audit row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.models import Staff
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ops import audit
from membercard.ops.models import AuditKind

RECOVERY_CODES = 10
TOTP_NAME = "authenticator app"
RECOVERY_NAME = "recovery codes"


# Sign-in locks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    """A locked username or client address and how many failures locked it."""

    kind: str  # "username" or "address"
    value: str
    failures: int
    last_attempt: object


def _locked(field: str, kind: str, limit: int) -> list[Lock]:
    since = _cooloff_threshold()
    attempts = AccessAttempt.objects.all()
    if since is not None:
        attempts = attempts.filter(attempt_time__gt=since)
    rows = (
        attempts.filter(**{f"{field}__isnull": False})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limit)
        .order_by("-last")
    )
    return [Lock(kind, row[field], row["failures"], row["last"]) for row in rows if row[field]]


def _cooloff_threshold():
    if settings.AXES_COOLOFF_TIME is None:
        return None
    return timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)


def current_locks() -> list[Lock]:
    """Usernames and client addresses that cannot sign in now."""
    return _locked("username", "username", settings.AXES_FAILURE_LIMIT) + _locked(
        "ip_address", "address", settings.MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT
    )


@business_operation
def unlock(*, actor: Actor, kind: str, value: str, request: HttpRequest | None = None) -> int:
    """Lift the lock on a username or a client address (HQ admins); the failures counted
    against it are forgotten. Returns how many attempt rows were cleared."""
    require(actor, Action.MANAGE_SIGNIN, _("lift sign-in locks"))
    if kind not in {"username", "address"} or not value:
        raise ValidationFailed(_("Choose a lock to lift."), field="value")
    handler = AxesDatabaseHandler()
    if kind == "username":
        cleared = handler.reset_attempts(username=value)
    else:
        cleared = handler.reset_attempts(ip_address=value)
    audit.record(
        AuditKind.SIGN_IN_UNLOCKED,
        staff=actor.staff,
        request=request,
        reference=f"{kind}={value}"[:200],
        details={"kind": kind, "cleared": cleared},
    )
    return cleared


# The second factor -------------------------------------------------------------------------


@business_operation
def start_enrolment(*, staff: Staff) -> TOTPDevice:
    """An unconfirmed TOTP device with a fresh secret for ``staff`` to add to their app
    (replacing an earlier unconfirmed one); it counts only once a code from it is entered."""
    TOTPDevice.objects.filter(user=staff, confirmed=False).delete()
    return TOTPDevice.objects.create(user=staff, name=TOTP_NAME, confirmed=False)


@business_operation
def confirm_enrolment(
    *, staff: Staff, device_id: int, token: str, request: HttpRequest | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the new TOTP device with a code from the app; the recovery codes are made
    here and returned once (django-otp keeps them; they are never shown again)."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device_id, user=staff, confirmed=False)
        .first()
    )
    if device is None:
        raise ValidationFailed(_("Start the enrolment again."), field="token")
    if not device.verify_token((token or "").strip()):
        raise ValidationFailed(
            _("That code is not right. Check the time on your phone and try again."),
            field="token",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(staff)
    audit.record(
        AuditKind.SECOND_FACTOR,
        staff=staff,
        request=request,
        what="second_factor.enrolled",
        reference=f"staff={staff.pk}",
    )
    return device, codes


def _new_recovery_codes(staff: Staff) -> list[str]:
    StaticDevice.objects.filter(user=staff).delete()
    device = StaticDevice.objects.create(user=staff, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@business_operation
def reset_second_factor(
    *, actor: Actor, staff_id: int, request: HttpRequest | None = None
) -> Staff:
    """Remove a staff member's authenticator and recovery codes (HQ admins), e.g. after a
    lost phone: at their next sign-in they enrol again (if their role needs one)."""
    require(actor, Action.MANAGE_SIGNIN, _("reset second factors"))
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise ValidationFailed(_("No such staff member."), field="staff")
    removed = TOTPDevice.objects.filter(user=staff).delete()[0]
    removed += StaticDevice.objects.filter(user=staff).delete()[0]
    audit.record(
        AuditKind.SECOND_FACTOR,
        staff=actor.staff,
        request=request,
        what="second_factor.reset",
        reference=f"staff={staff.pk} {staff.username}"[:200],
        details={"for": staff.username, "removed": removed},
    )
    return staff
