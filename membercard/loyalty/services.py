"""Writes for members."""

from __future__ import annotations

import re

from django.db import transaction

from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.loyalty.models import Member


def normalize_mobile(raw: str) -> str:
    """Digits only; a leading +86/0086 country code is dropped for Chinese mobiles."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise ValidationFailed("The mobile number is not valid.", field="mobile")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def find_or_register_member(*, actor: Actor, name: str, mobile: str) -> Member:
    """The member with this mobile number, registered at the actor's location if new.

    Called inside a business operation (sale) or on its own.
    """
    mobile = normalize_mobile(mobile)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("The member needs a name.", field="name")
    with transaction.atomic():
        member, _ = Member.objects.get_or_create(
            mobile=mobile, defaults={"name": name[:120], "registered_at": actor.location}
        )
    return member
