"""What the API tells a till at the counter (issue #16, "At the counter"): how the card was
read is kept on every operation (``keyed`` for a number in the path unless the till says
otherwise), a gift redemption on a PIN card needs the PIN, a wrong PIN says how many tries
are left and a locked one until when, a one-time card is "not rechargeable", a past day's
operation is "refund it instead"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.cards.pins import PIN_MAX_FAILURES
from membercard.core.calendar import today
from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import body, problem
from tests.ledger.helpers import unchanged
from tests.loyalty.gift_helpers import new_gift, stocked
from tests.loyalty.helpers import on_day

pytestmark = pytest.mark.django_db


def _operation(response) -> Operation:
    assert response.status_code == 201, response.content
    return Operation.objects.get(pk=body(response)["operation_id"])


# read_as on every operation ----------------------------------------------------------------


def test_a_purchase_by_number_is_keyed_unless_the_till_says_how_it_read_the_card(till, card):
    keyed = till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="p1")
    swiped = till.post(
        f"/cards/{card.number}/purchases", {"amount": 100, "read_as": "swiped"}, key="p2"
    )
    assert _operation(keyed).read_as == "keyed"
    assert _operation(swiped).read_as == "swiped"


def test_a_sale_and_a_top_up_keep_how_the_card_was_read(till, cashier_s01, shop):
    card = f.stock_card(f.product(stores_may_top_up=True), shop)
    sold = till.post(
        f"/cards/{card.number}/sale",
        {"initial_value": 1_000, "tender": "cash", "read_as": "scanned"},
        key="s1",
    )
    topped = till.post(f"/cards/{card.number}/top-ups", {"amount": 500, "tender": "cash"}, key="t")
    assert _operation(sold).read_as == "scanned"
    assert _operation(topped).read_as == "keyed"


def test_a_gift_redemption_keeps_how_the_card_was_read(till, card, shop):
    till.post(f"/cards/{card.number}/purchases", {"amount": 4_000}, key="earn")
    stocked(new_gift("MUG-01", 10, name="Mug"), {shop: 5})
    plain = till.post(f"/cards/{card.number}/gift-redemptions", {"gift": "MUG-01"}, key="g1")
    tapped = till.post(
        f"/cards/{card.number}/gift-redemptions", {"gift": "MUG-01", "read_as": "tapped"}, key="g2"
    )
    assert _operation(plain).read_as == "keyed"
    assert _operation(tapped).read_as == "tapped"


def test_an_unknown_way_of_reading_is_refused(till, card):
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/purchases", {"amount": 100, "read_as": "guessed"}, key="p"
        )
    assert response.status_code == 422


# PINs -----------------------------------------------------------------------------------------


@pytest.fixture
def pin_card(cashier_s01, shop):
    """A PIN card (PIN 4321) sold at S01 that has earned points, and a mug for 10 points."""
    product = f.product(pin_required=True, has_points=True, points_per_unit=1)
    card = f.sold_card(cashier_s01, product, 10_000, pin="4321")
    stocked(new_gift("MUG-01", 10, name="Mug"), {shop: 5})
    return card


def test_a_gift_on_a_pin_card_needs_the_pin(till, pin_card):
    bought = till.post(
        f"/cards/{pin_card.number}/purchases", {"amount": 4_000, "pin": "4321"}, key="earn"
    )
    assert bought.status_code == 201
    redeem = f"/cards/{pin_card.number}/gift-redemptions"

    with unchanged(pin_card):
        missing = till.post(redeem, {"gift": "MUG-01"}, key="g1")
        wrong = till.post(redeem, {"gift": "MUG-01", "pin": "0000"}, key="g2")
    assert (missing.status_code, problem(missing)["code"]) == (422, "wrong_pin")
    assert (wrong.status_code, problem(wrong)["code"]) == (422, "wrong_pin")
    assert problem(wrong)["tries_left"] == PIN_MAX_FAILURES - 1
    pin_card.refresh_from_db()
    assert pin_card.pin_failures == 1  # the wrong PIN counted, the missing one not

    right = till.post(redeem, {"gift": "MUG-01", "pin": "4321"}, key="g2")
    assert right.status_code == 201
    assert body(right)["points_used"] == 10


def test_wrong_pins_answer_tries_left_then_locked_until(till, pin_card):
    pay = f"/cards/{pin_card.number}/purchases"
    answers = [
        problem(till.post(pay, {"amount": 100, "pin": "0000"}, key=f"w{n}"))
        for n in range(PIN_MAX_FAILURES)
    ]
    assert [a["tries_left"] for a in answers] == list(range(PIN_MAX_FAILURES - 1, -1, -1))
    assert "locked_until" not in answers[0]
    pin_card.refresh_from_db()
    until = pin_card.pin_locked_until.isoformat(timespec="minutes")
    assert answers[-1]["locked_until"] == until

    locked = problem(till.post(pay, {"amount": 100, "pin": "4321"}, key="right"))
    assert (locked["code"], locked["locked_until"], locked["tries_left"]) == (
        "pin_locked",
        until,
        0,
    )
    shown = timezone.localtime(pin_card.pin_locked_until).strftime("%Y-%m-%d %H:%M")
    assert shown in locked["detail"]


# Refusals that say what is wrong ----------------------------------------------------------------


def test_a_one_time_card_is_not_rechargeable_rather_than_only_at_hq(till, cashier_s01):
    one_time = f.sold_card(cashier_s01, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    with unchanged(one_time):
        response = till.post(
            f"/cards/{one_time.number}/top-ups", {"amount": 1_000, "tender": "cash"}, key="t"
        )
    answer = problem(response)
    assert (response.status_code, answer["code"]) == (422, "product_policy")
    assert "not rechargeable" in answer["detail"]
    assert "headquarters" not in answer["detail"]


def test_a_past_days_purchase_is_refunded_not_reversed(till, card):
    yesterday = today() - dt.timedelta(days=1)
    with on_day(yesterday):
        bought = body(till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="b"))
    with unchanged(card):
        response = till.post(f"/operations/{bought['operation_id']}/reversal", key="r")
    answer = problem(response)
    assert (response.status_code, answer["code"]) == (422, "not_reversible")
    assert "Refund it instead" in answer["detail"]
    assert yesterday.isoformat() in answer["detail"]
    assert answer["business_date"] == yesterday.isoformat()
    assert "manager" not in answer["detail"]
