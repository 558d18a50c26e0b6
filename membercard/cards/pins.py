"""PINs to pay: checked against the card's argon2 hash, and locked after too many wrong tries.

A 4-digit PIN is guessable if nothing stops the guessing, so after
``PIN_MAX_FAILURES`` wrong PINs in a row the card's PIN is locked for
``PIN_LOCK_HOURS``: a few tries a day make guessing hopeless. A right PIN resets
the count.

The count lives on the card row and is decided under that row's lock: an operation
that checks a PIN is wrapped in :func:`counts_wrong_pins`, which locks the card row
first and runs the operation in a savepoint. A wrong PIN rolls the savepoint back (no
money moves, no idempotency key is claimed) and is counted on the still-locked row in
the same business transaction, which then commits; :func:`raises_counted_refusal`
raises the refusal once that commit is done. A concurrent request waits on the row lock
and reads the count already written, so exactly ``PIN_MAX_FAILURES`` wrong PINs are ever
checked before the lock, however many arrive at once. (Counting after the rollback, in
a transaction of its own, let every request that waited on the lock check a PIN before
the count landed.)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, PinLocked, WrongPin
from membercard.core.permissions import Action, require
from membercard.core.transactions import CommittedRefusal, business_operation

PIN_MAX_FAILURES = 5
PIN_LOCK_HOURS = 24

P = ParamSpec("P")
R = TypeVar("R")


class _WrongPinChecked(WrongPin):
    """A PIN was given and checked, and it was wrong: the one refusal that is counted."""


class _CountedRefusal(CommittedRefusal):
    """What the business operation returns (so its transaction commits the count) in place
    of raising the wrong-PIN refusal; :func:`raises_counted_refusal` raises it. (A
    ``CommittedRefusal``: the face's audit row is not written with the count.)"""

    def __init__(self, refusal: WrongPin) -> None:
        self.refusal = refusal


def _count_wrong_pin(card_id: int) -> WrongPin:
    """One more wrong PIN on a card row the caller's transaction has locked; the refusal
    says how many tries are left, or until when the PIN is now locked."""
    card = Card.objects.select_for_update().only("pk", "pin_failures").get(pk=card_id)
    card.pin_failures += 1
    fields = ["pin_failures"]
    tries_left = PIN_MAX_FAILURES - card.pin_failures
    if tries_left <= 0:
        card.pin_failures = 0
        card.pin_locked_until = timezone.now() + dt.timedelta(hours=PIN_LOCK_HOURS)
        fields.append("pin_locked_until")
    card.save(update_fields=fields)
    if tries_left > 0:
        return WrongPin(
            ngettext(
                "The PIN is wrong: %(tries)d more try before the PIN is locked.",
                "The PIN is wrong: %(tries)d more tries before the PIN is locked.",
                tries_left,
            )
            % {"tries": tries_left},
            tries_left=tries_left,
        )
    until = card.pin_locked_until
    return WrongPin(
        _("The PIN is wrong. Too many wrong PINs: the PIN is locked until %(until)s.")
        % {"until": shown_time(until)},
        tries_left=0,
        locked_until=until.isoformat(timespec="minutes"),
    )


def shown_time(moment: dt.datetime) -> str:
    """A lock's end as staff read it: local date and time to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def pin_locked(until: dt.datetime) -> PinLocked:
    """The refusal of a card whose PIN is locked, saying until when (a manager may unlock
    it sooner, once the customer proved who they are)."""
    return PinLocked(
        _(
            "Too many wrong PINs: the card's PIN is locked until %(until)s. A manager can "
            "unlock it once the customer has proved who they are."
        )
        % {"until": shown_time(until)},
        tries_left=0,
        locked_until=until.isoformat(timespec="minutes"),
    )


def counts_wrong_pins(operation: Callable[P, R]) -> Callable[P, R]:
    """Inside ``@business_operation``, around a service taking ``card_number`` that may
    call :func:`check_pin`: lock the card row (when its product needs a PIN) *before* a
    savepoint, so that rolling a wrong PIN's work back keeps the lock, and count the
    wrong PIN on that row in the same transaction."""

    @functools.wraps(operation)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # The same row the operation locks again later (one card: no lock order to keep).
        card_id = (
            Card.objects.select_for_update(of=("self",))
            .filter(number=kwargs["card_number"], product__pin_required=True)
            .values_list("pk", flat=True)
            .first()
        )
        if card_id is None:
            return operation(*args, **kwargs)
        try:
            with transaction.atomic():  # a savepoint: a wrong PIN undoes everything but...
                return operation(*args, **kwargs)
        except _WrongPinChecked:
            # ...the count, written while the row is still ours
            return _CountedRefusal(_count_wrong_pin(card_id))  # type: ignore[return-value]

    return run


def raises_counted_refusal(operation: Callable[P, R]) -> Callable[P, R]:
    """Outside ``@business_operation``: raise the wrong-PIN refusal whose count the
    business transaction has just committed."""

    @functools.wraps(operation)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outcome = operation(*args, **kwargs)
        if isinstance(outcome, _CountedRefusal):
            raise outcome.refusal
        return outcome

    return run


def check_pin(card: Card, pin: str | None) -> None:
    """Refuse unless the card's product needs no PIN or ``pin`` matches. Call with the card
    row locked, inside an operation wrapped in :func:`counts_wrong_pins` (or a wrong PIN
    is refused but not counted)."""
    if not card.product.pin_required:
        return
    if card.pin_locked_until is not None and card.pin_locked_until > timezone.now():
        raise pin_locked(card.pin_locked_until)
    if not pin:
        raise WrongPin(
            _("This card needs its PIN to pay."),
            tries_left=PIN_MAX_FAILURES - card.pin_failures,
        )
    if not card.pin_hash or not check_password(pin, card.pin_hash):
        raise _WrongPinChecked()
    if card.pin_failures or card.pin_locked_until:
        card.pin_failures, card.pin_locked_until = 0, None
        card.save(update_fields=["pin_failures", "pin_locked_until"])


@business_operation
def unlock_pin(*, actor: Actor, card_number: str) -> None:
    """A store manager (or HQ) lifts the wrong-PIN lock and resets the count, after the
    customer proved who they are. One business operation, with the card row locked (the
    staff page's audit row is written in it)."""
    require(actor, Action.UNLOCK_PIN, _("unlock card PINs"))
    card = Card.objects.select_for_update().filter(number=card_number).first()
    if card is None:
        raise CardNotFound()
    card.pin_failures, card.pin_locked_until = 0, None
    card.save(update_fields=["pin_failures", "pin_locked_until"])
