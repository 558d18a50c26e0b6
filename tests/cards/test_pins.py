"""A PIN cannot be guessed: wrong PINs are counted (even though each refused purchase rolls
back) and lock the card's PIN for a day after five in a row; a right PIN resets the count."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from membercard.cards.pins import PIN_LOCK_HOURS, PIN_MAX_FAILURES
from membercard.core.errors import PinLocked, WrongPin
from membercard.ledger.models import Operation
from membercard.operations import purchase
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(cashier):
    return f.sold_card(cashier, f.product(pin_required=True), 10_000, pin="4321")


def pay(cashier, card, pin):
    return purchase(
        actor=cashier, card_number=card.number, amount_minor=100, pin=pin, idempotency_key=f.key()
    )


def test_wrong_pins_are_counted_although_the_purchase_is_refused(cashier, card):
    operations = Operation.objects.count()
    for _ in range(PIN_MAX_FAILURES - 1):
        with pytest.raises(WrongPin):
            pay(cashier, card, "0000")
    card.refresh_from_db()
    assert card.pin_failures == PIN_MAX_FAILURES - 1
    assert card.pin_locked_until is None
    assert Operation.objects.count() == operations
    assert f.balances(card)[0] == 10_000


def test_a_right_pin_resets_the_count(cashier, card):
    with pytest.raises(WrongPin):
        pay(cashier, card, "0000")
    pay(cashier, card, "4321")
    card.refresh_from_db()
    assert card.pin_failures == 0


def test_five_wrong_pins_lock_the_pin_for_a_day_even_against_the_right_one(cashier, card):
    for _ in range(PIN_MAX_FAILURES):
        with pytest.raises(WrongPin):
            pay(cashier, card, "0000")
    card.refresh_from_db()
    assert card.pin_locked_until is not None
    operations = Operation.objects.count()

    with pytest.raises(PinLocked) as locked:
        pay(cashier, card, "4321")

    assert locked.value.code == "pin_locked"
    assert Operation.objects.count() == operations
    later = timezone.now() + dt.timedelta(hours=PIN_LOCK_HOURS, minutes=1)
    with mock.patch("membercard.cards.pins.timezone.now", return_value=later):
        pay(cashier, card, "4321")
    card.refresh_from_db()
    assert (card.pin_failures, card.pin_locked_until) == (0, None)


def test_a_wrong_pin_claims_no_idempotency_key(cashier, card):
    """The count commits with the refusal; the purchase's own writes (its key) do not: the
    till may retry the same key with the right PIN."""
    with pytest.raises(WrongPin):
        purchase(
            actor=cashier,
            card_number=card.number,
            amount_minor=100,
            pin="0000",
            idempotency_key="k",
        )
    operation = purchase(
        actor=cashier, card_number=card.number, amount_minor=100, pin="4321", idempotency_key="k"
    )
    card.refresh_from_db()
    assert operation.net_minor > 0
    assert card.pin_failures == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_pins_check_exactly_the_allowed_number():
    """Issue #13, reproduction 13: 32 wrong PINs at once. The count lives on the locked card
    row and is decided under that lock, so exactly PIN_MAX_FAILURES PINs are ever checked;
    every later request meets the lock. Nothing moves, no idempotency key is claimed."""
    from collections import Counter

    from membercard.core.errors import DomainError
    from membercard.core.models import Role
    from membercard.ledger.models import IdempotencyRecord
    from tests.ledger.test_concurrency import make_actor, run_threads

    f.hq()
    cashier = make_actor(Role.STORE_CASHIER, f.store("S01"))
    card = f.sold_card(cashier, f.product(pin_required=True), 10_000, pin="4321")
    operations, keys = Operation.objects.count(), IdempotencyRecord.objects.count()

    def attempt(_: int) -> str:
        try:
            pay(cashier, card, "0000")
        except DomainError as refusal:
            return refusal.code
        return "paid"

    codes = Counter(run_threads(32, attempt))

    assert codes == {"wrong_pin": PIN_MAX_FAILURES, "pin_locked": 32 - PIN_MAX_FAILURES}
    card.refresh_from_db()
    assert card.pin_locked_until is not None
    assert f.balances(card)[0] == 10_000
    assert (Operation.objects.count(), IdempotencyRecord.objects.count()) == (operations, keys)


# What a refusal tells the cashier (issue #16, "At the counter") ---------------------------


def test_a_wrong_pin_says_how_many_tries_are_left(cashier, card):
    with pytest.raises(WrongPin) as first:
        pay(cashier, card, "0000")
    assert first.value.extra["tries_left"] == PIN_MAX_FAILURES - 1
    assert f"{PIN_MAX_FAILURES - 1} more tries before the PIN is locked" in first.value.message
    assert "locked_until" not in first.value.extra

    for _ in range(PIN_MAX_FAILURES - 3):
        with pytest.raises(WrongPin):
            pay(cashier, card, "0000")
    with pytest.raises(WrongPin) as last_but_one:
        pay(cashier, card, "0000")
    assert last_but_one.value.extra["tries_left"] == 1
    assert "1 more try before the PIN is locked" in last_but_one.value.message


def test_the_wrong_pin_that_locks_says_until_when(cashier, card):
    for _ in range(PIN_MAX_FAILURES - 1):
        with pytest.raises(WrongPin):
            pay(cashier, card, "0000")
    with pytest.raises(WrongPin) as locking:
        pay(cashier, card, "0000")
    card.refresh_from_db()
    until = timezone.localtime(card.pin_locked_until)
    assert locking.value.extra["tries_left"] == 0
    assert locking.value.extra["locked_until"] == card.pin_locked_until.isoformat(
        timespec="minutes"
    )
    assert f"locked until {until:%Y-%m-%d %H:%M}" in locking.value.message


def test_a_locked_pin_says_until_when_and_who_can_unlock_it(cashier, card):
    for _ in range(PIN_MAX_FAILURES):
        with pytest.raises(WrongPin):
            pay(cashier, card, "0000")
    card.refresh_from_db()
    with pytest.raises(PinLocked) as locked:
        pay(cashier, card, "4321")
    until = timezone.localtime(card.pin_locked_until)
    assert locked.value.extra["locked_until"] == card.pin_locked_until.isoformat(timespec="minutes")
    assert locked.value.extra["tries_left"] == 0
    assert f"locked until {until:%Y-%m-%d %H:%M}" in locked.value.message
    assert "A manager can unlock it" in locked.value.message


def test_a_missing_pin_is_not_counted_and_says_the_tries_left(cashier, card):
    with pytest.raises(WrongPin) as missing:
        pay(cashier, card, None)
    card.refresh_from_db()
    assert card.pin_failures == 0
    assert missing.value.extra["tries_left"] == PIN_MAX_FAILURES
