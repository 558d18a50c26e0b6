"""PINs to pay: checked against the card's argon2 hash, and locked after too many wrong tries.

A 4-digit PIN is guessable if nothing stops the guessing, so after
``PIN_MAX_FAILURES`` wrong PINs in a row the card's PIN is locked for
``PIN_LOCK_HOURS``: a few tries a day make guessing hopeless. A right PIN resets
the count. The wrong try is counted *after* the refused business operation has
rolled back (``WrongPin.after_rollback``), in a transaction of its own, so the
refusal changes nothing else but the count survives it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, PinLocked, WrongPin

PIN_MAX_FAILURES = 5
PIN_LOCK_HOURS = 24


def _count_wrong_pin(card_id: int) -> None:
    with transaction.atomic():
        card = Card.objects.select_for_update().only("pk", "pin_failures").get(pk=card_id)
        card.pin_failures += 1
        fields = ["pin_failures"]
        if card.pin_failures >= PIN_MAX_FAILURES:
            card.pin_failures = 0
            card.pin_locked_until = timezone.now() + dt.timedelta(hours=PIN_LOCK_HOURS)
            fields.append("pin_locked_until")
        card.save(update_fields=fields)


def check_pin(card: Card, pin: str | None) -> None:
    """Refuse unless the card's product needs no PIN or ``pin`` matches. Call with the card
    row locked (inside the business operation)."""
    if not card.product.pin_required:
        return
    if card.pin_locked_until is not None and card.pin_locked_until > timezone.now():
        raise PinLocked(locked_until=card.pin_locked_until.isoformat(timespec="minutes"))
    if not pin:
        raise WrongPin(_("This card needs its PIN to pay."))
    if not card.pin_hash or not check_password(pin, card.pin_hash):
        wrong = WrongPin()
        wrong.after_rollback = lambda: _count_wrong_pin(card.pk)
        raise wrong
    if card.pin_failures or card.pin_locked_until:
        card.pin_failures, card.pin_locked_until = 0, None
        card.save(update_fields=["pin_failures", "pin_locked_until"])


def unlock_pin(*, actor: Actor, card_number: str) -> None:
    """A store manager (or HQ) lifts the wrong-PIN lock and resets the count, after the
    customer proved who they are. One transaction, with the card row locked. (The staff
    page's POST is what the audit log records.)"""
    # Imported here: the ledger services import this module.
    from membercard.ledger.services.checks import MANAGER_ROLES

    actor.require(MANAGER_ROLES, _("unlock card PINs"))
    with transaction.atomic():
        card = Card.objects.select_for_update().filter(number=card_number).first()
        if card is None:
            raise CardNotFound()
        card.pin_failures, card.pin_locked_until = 0, None
        card.save(update_fields=["pin_failures", "pin_locked_until"])
