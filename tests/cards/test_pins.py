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
