"""Members: register, update, attach to a card. Every write leaves an audit row."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.states import ISSUED
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import CardNotActive, NotFound, NotPermitted, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ledger.posting import lock_cards
from membercard.loyalty.audit import log_access
from membercard.loyalty.errors import MemberExists
from membercard.loyalty.models import Member
from membercard.loyalty.services import tiers

# Who may register and change members: everyone at a counter, and HQ's office.
KEEP = object()  # "leave this field as it is" for update_member


def normalize_mobile(raw: str) -> str:
    """Digits only; a leading +86/0086 country code is dropped for Chinese mobiles."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise ValidationFailed(_("The mobile number is not valid."), field="mobile")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("The member needs a name."), field="name")
    if len(name) > 120:
        raise ValidationFailed(_("The name is longer than 120 characters."), field="name")
    return name


EARLIEST_BIRTHDAY = dt.date(1900, 1, 1)  # year 0001 is a typing slip, not a customer


def _check_birthday(birthday: dt.date | None) -> dt.date | None:
    if birthday is not None and (
        not isinstance(birthday, dt.date)
        or not EARLIEST_BIRTHDAY <= birthday <= timezone.localdate()
    ):
        raise ValidationFailed(_("The birthday is not a past date."), field="birthday")
    return birthday


def find_or_register_member(*, actor: Actor, name: str, mobile: str) -> Member:
    """The member with this mobile number, registered at the actor's location if new.

    Called inside a business operation (sale) or on its own.
    """
    mobile = normalize_mobile(mobile)
    name = _clean_name(name)
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            mobile=mobile, defaults={"name": name, "registered_at": actor.location}
        )
        if created:
            log_access(actor, "member.registered", count=1, member=member)
    return member


@business_operation
def register_member(
    *,
    actor: Actor,
    name: str,
    mobile: str,
    birthday: dt.date | None = None,
    notes: str = "",
    marketing_sms: bool = False,
    marketing_email: bool = False,
    address: str = "",
) -> Member:
    """A new member, registered at the actor's location. A mobile number is one member."""
    require(actor, Action.REGISTER_MEMBER, _("register members"))
    return _register(
        actor,
        name=name,
        mobile=mobile,
        birthday=birthday,
        notes=notes,
        marketing_sms=marketing_sms,
        marketing_email=marketing_email,
        address=address,
    )


def _register(
    actor: Actor,
    *,
    name: str,
    mobile: str,
    birthday: dt.date | None,
    notes: str,
    marketing_sms: bool,
    marketing_email: bool,
    address: str,
) -> Member:
    """The new member's row and its audit row, inside the caller's business operation."""
    mobile = normalize_mobile(mobile)
    if Member.objects.filter(mobile=mobile).exists():
        raise MemberExists()
    consent = marketing_sms or marketing_email
    member = Member.objects.create(
        name=_clean_name(name),
        mobile=mobile,
        birthday=_check_birthday(birthday),
        notes=notes.strip(),
        marketing_sms=marketing_sms,
        marketing_email=marketing_email,
        consent_updated_at=timezone.now() if consent else None,
        registered_at=actor.location,
    )
    log_access(actor, "member.registered", count=1, member=member, address=address)
    return member


@business_operation
def update_member(
    *,
    actor: Actor,
    member_id: int,
    name: str | None = None,
    mobile: str | None = None,
    birthday: dt.date | object | None = KEEP,
    notes: str | None = None,
    marketing_sms: bool | None = None,
    marketing_email: bool | None = None,
    address: str = "",
) -> Member:
    """Change what is given (``None``/``KEEP``: unchanged). The audit row names the fields
    changed, never their values."""
    require(actor, Action.REGISTER_MEMBER, _("change members"))
    member = Member.objects.select_for_update().filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("No such member."))
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if mobile is not None:
        changes["mobile"] = normalize_mobile(mobile)
        if Member.objects.filter(mobile=changes["mobile"]).exclude(pk=member.pk).exists():
            raise MemberExists()
    if birthday is not KEEP:
        changes["birthday"] = _check_birthday(birthday)  # type: ignore[arg-type]
    if notes is not None:
        changes["notes"] = notes.strip()
    for flag, value in (("marketing_sms", marketing_sms), ("marketing_email", marketing_email)):
        if value is not None:
            changes[flag] = bool(value)
    changed = sorted(k for k, v in changes.items() if getattr(member, k) != v)
    if not changed:
        return member
    for field in changed:
        setattr(member, field, changes[field])
    update_fields = [*changed, "updated_at"]
    if {"marketing_sms", "marketing_email"} & set(changed):
        member.consent_updated_at = timezone.now()
        update_fields.append("consent_updated_at")
    member.save(update_fields=update_fields)
    log_access(
        actor, "member.updated", count=1, member=member, data={"fields": changed}, address=address
    )
    return member


@business_operation
def link_card(*, actor: Actor, card_number: str, member_id: int, address: str = "") -> None:
    """Register an anonymous card in a customer's hands to a member (its prepaid limit
    becomes the registered one). Moving a card from one member to another is for HQ."""
    require(actor, Action.REGISTER_MEMBER, _("register cards to members"))
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("No such member."))
    _link(actor, card_number=card_number, member=member, address=address)


@business_operation
def register_and_link(
    *,
    actor: Actor,
    card_number: str,
    name: str,
    mobile: str,
    birthday: dt.date | None = None,
    notes: str = "",
    marketing_sms: bool = False,
    marketing_email: bool = False,
    address: str = "",
) -> Member:
    """The counter registers the card's customer as a new member and links the card to
    them, in one transaction: when the link is refused (the card is not in a customer's
    hands, it belongs to another member and the actor is not at HQ...), no member is left
    behind. A mobile already registered is refused (``MemberExists``), as on its own."""
    require(actor, Action.REGISTER_MEMBER, _("register members"))
    member = _register(
        actor,
        name=name,
        mobile=mobile,
        birthday=birthday,
        notes=notes,
        marketing_sms=marketing_sms,
        marketing_email=marketing_email,
        address=address,
    )
    _link(actor, card_number=card_number, member=member, address=address)
    return member


def _link(actor: Actor, *, card_number: str, member: Member, address: str) -> None:
    """Link the card to ``member`` (and the audit row), inside the caller's business
    operation."""
    (card,) = lock_cards(card_number)
    if card.state not in ISSUED:
        raise CardNotActive(_("Only a card in a customer's hands is registered."), state=card.state)
    if card.member_id == member.pk:
        return
    if card.member_id is not None and not actor.at_hq:
        raise NotPermitted(_("The card belongs to another member: only HQ may move it."))
    previous = card.member_id
    Card.objects.filter(pk=card.pk).update(member=member)
    tiers.give_starting_tier(card=card, actor=actor, on=today())
    log_access(
        actor,
        "member.card_linked",
        count=1,
        member=member,
        data={"card": card.masked_number, "previous_member": previous},
        address=address,
    )
