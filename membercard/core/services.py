"""Setting up the merchant: stores and staff. HQ admins only, one transaction each.

A refusal is a ``ValidationFailed`` naming the ``field`` it is about, so a page can show
it beside that field.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Location, LocationKind, Role, Staff, role_location_problem
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation

_LANGUAGES = {code for code, _ in settings.LANGUAGES}


def _first_problem(error: ValidationError) -> tuple[str | None, str]:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        return (None if field == "__all__" else field), " ".join(e.messages[0] for e in errors)
    return None, " ".join(error.messages)


def _checked_save(instance, *, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field, message = _first_problem(error)
        raise ValidationFailed(message, field=field) from None
    instance.save()


# Stores --------------------------------------------------------------------------------


@business_operation
def create_store(*, actor: Actor, code: str, name: str, address: str = "") -> Location:
    """A new store (HQ exists from installation: there is exactly one)."""
    require(actor, Action.MANAGE_STORES, _("open stores"))
    code = (code or "").strip().upper()
    if Location.objects.filter(code__iexact=code).exists():
        raise ValidationFailed(
            _("A location with the code %(code)s exists.") % {"code": code}, field="code"
        )
    store = Location(code=code, name=(name or "").strip(), address=(address or "").strip())
    store.kind = LocationKind.STORE
    _checked_save(store)
    return store


@business_operation
def update_store(
    *, actor: Actor, location_id: int, name: str, address: str = "", is_active: bool = True
) -> Location:
    """Rename a location or close (reopen) a store. Codes never change: they are on sheets."""
    require(actor, Action.MANAGE_STORES, _("change stores"))
    store = Location.objects.select_for_update().filter(pk=location_id).first()
    if store is None:
        raise ValidationFailed(_("No such location."), field="location")
    if store.is_hq and not is_active:
        raise ValidationFailed(_("Headquarters cannot be closed."), field="is_active")
    if not is_active and store.staff.filter(is_active=True).exists():
        raise ValidationFailed(
            _("Deactivate the store's staff before closing it."), field="is_active"
        )
    store.name, store.address, store.is_active = (name or "").strip(), address.strip(), is_active
    _checked_save(store)
    return store


# Staff ---------------------------------------------------------------------------------


def _check_role_and_place(role: str, location: Location | None) -> None:
    if role not in Role.values:
        raise ValidationFailed(_("Choose a role."), field="role")
    problem = role_location_problem(role, location)
    if problem:
        raise ValidationFailed(problem, field="location")
    if location is not None and not location.is_active:
        raise ValidationFailed(
            _("%(location)s is closed.") % {"location": location}, field="location"
        )


def _check_language(language: str) -> str:
    if language and language not in _LANGUAGES:
        raise ValidationFailed(_("Choose one of the offered languages."), field="language")
    return language


def _check_password(password: str, staff: Staff) -> None:
    try:
        validate_password(password or "", user=staff)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from None


@business_operation
def create_staff(
    *,
    actor: Actor,
    username: str,
    first_name: str,
    last_name: str,
    role: str,
    location: Location,
    password: str,
    language: str = "",
) -> Staff:
    """A new staff member with one role at one location and an initial password (checked by
    the installation's password validators)."""
    require(actor, Action.MANAGE_STAFF, _("add staff"))
    username = (username or "").strip()
    if Staff.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("That username is taken."), field="username")
    _check_role_and_place(role, location)
    staff = Staff(
        username=username,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        role=role,
        location=location,
        language=_check_language(language),
    )
    _check_password(password, staff)
    staff.set_password(password)
    _checked_save(staff, exclude=["password"])
    return staff


@business_operation
def update_staff(
    *,
    actor: Actor,
    staff_id: int,
    first_name: str,
    last_name: str,
    role: str,
    location: Location,
    language: str = "",
    is_active: bool = True,
    password: str = "",
) -> Staff:
    """Change a staff member's name, role, place, language, or (de)activate them; with
    ``password``, set a new one (checked like an initial one). An admin cannot lock
    themselves out."""
    require(actor, Action.MANAGE_STAFF, _("change staff"))
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise ValidationFailed(_("No such staff member."), field="staff")
    if actor.staff is not None and staff.pk == actor.staff.pk:
        if not is_active:
            raise ValidationFailed(_("You cannot deactivate yourself."), field="is_active")
        if role != staff.role:
            raise ValidationFailed(_("You cannot change your own role."), field="role")
    _check_role_and_place(role, location)
    staff.first_name, staff.last_name = (first_name or "").strip(), (last_name or "").strip()
    staff.role, staff.location = role, location
    staff.language = _check_language(language)
    staff.is_active = is_active
    if password:
        _check_password(password, staff)
        staff.set_password(password)
    _checked_save(staff, exclude=["password"])
    return staff


@business_operation
def deactivate_staff(*, actor: Actor, staff_id: int) -> Staff:
    """The staff member can no longer sign in; their name stays on every document."""
    require(actor, Action.MANAGE_STAFF, _("deactivate staff"))
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise ValidationFailed(_("No such staff member."), field="staff")
    if actor.staff is not None and staff.pk == actor.staff.pk:
        raise NotPermitted(_("You cannot deactivate yourself."))
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    return staff
