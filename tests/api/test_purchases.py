"""POST /cards/{number}/purchases: discount, balance, split payment, points, receipt."""

from __future__ import annotations

import pytest

from membercard.api.models import LookupMiss
from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import body, problem, unused_number
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


def test_a_purchase_returns_what_the_till_prints(till, card):
    response = till.post(
        f"/cards/{card.number}/purchases",
        {"amount": 5_000, "pay_with_balance": True, "allow_split": False, "reference": "T1-42"},
        key="p1",
    )
    assert response.status_code == 201
    paid = body(response)
    operation = Operation.objects.get(pk=paid["operation_id"])
    assert paid == {
        "operation_id": operation.pk,
        "kind": "purchase",
        "receipt_number": operation.receipt_number,
        "card_number_masked": card.masked_number,
        "store": "S01",
        "terminal": "till-1",
        "created_at": paid["created_at"],
        "business_date": operation.business_date.isoformat(),
        "gross": 5_000,
        "discount": 250,
        "net": 4_750,
        "paid_from_balance": 4_750,
        "paid_other": 0,
        "tender": None,
        "bonus_granted": 0,
        "card_fee": 0,
        "deposit": 0,
        "points_earned": 47,
        "points_redeemed": 0,
        "points_taken_back": 0,
        "balance_after": 5_250,
        "points_after": 47,
        "reverses": None,
        "refund_of": None,
        "reference": "T1-42",
        "currency": "CNY",
    }
    assert paid["receipt_number"].startswith("R")
    assert f.balances(card) == (5_250, 0, 47)


def test_not_enough_balance_is_refused_unless_split_is_allowed(till, card):
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/purchases", {"amount": 20_000}, key="p1")
    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "insufficient_balance")
    assert (details["available"], details["needed"], details["currency"]) == (10_000, 19_000, "CNY")

    response = till.post(
        f"/cards/{card.number}/purchases",
        {"amount": 20_000, "allow_split": True, "other_tender": "cash"},
        key="p1",  # the refused request left no key behind
    )
    paid = body(response)
    assert response.status_code == 201
    assert (paid["net"], paid["paid_from_balance"], paid["paid_other"], paid["tender"]) == (
        19_000,
        10_000,
        9_000,
        "cash",
    )
    assert paid["balance_after"] == 0


def test_pay_otherwise_earns_points_and_leaves_the_balance(till, card):
    paid = body(
        till.post(
            f"/cards/{card.number}/purchases",
            {"amount": 1_000, "pay_with_balance": False, "other_tender": "bank_card"},
            key="p",
        )
    )
    assert (paid["paid_from_balance"], paid["paid_other"], paid["balance_after"]) == (
        0,
        950,
        10_000,
    )
    assert paid["points_after"] == paid["points_earned"] == 9


def test_a_card_sold_elsewhere_pays_here(other_till, card):
    response = other_till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="x")
    assert response.status_code == 201
    assert body(response)["store"] == "S02"


def test_an_unknown_card_is_404_and_counts_as_a_miss(till, product):
    response = till.post(f"/cards/{unused_number(product)}/purchases", {"amount": 100}, key="x")
    assert (response.status_code, problem(response)["code"]) == (404, "card_not_found")
    assert LookupMiss.objects.get().misses == 1


def test_a_card_in_stock_cannot_pay(till, product, shop):
    card = f.stock_card(product, shop)
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="x")
    assert (response.status_code, problem(response)["code"]) == (422, "card_not_active")


def test_a_pin_card_needs_its_pin(till, cashier_s01):
    card = f.sold_card(cashier_s01, f.product(pin_required=True), 5_000, pin="4321")
    with unchanged(card):
        wrong = till.post(
            f"/cards/{card.number}/purchases", {"amount": 100, "pin": "1111"}, key="a"
        )
    assert problem(wrong)["code"] == "wrong_pin"
    right = till.post(f"/cards/{card.number}/purchases", {"amount": 100, "pin": "4321"}, key="a")
    assert right.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": "100"},
        {"amount": 100.0},
        {"amount": -5},
        {"amount": 100, "pay_with_balance": "yes"},
        {"amount": 100, "reference": "a\x00b"},
        {"amount": 100, "reference": "x" * 65},
        {"amount": 100, "other_tender": "cheque"},
    ],
)
def test_bad_bodies_change_nothing(till, card, payload):
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/purchases", payload, key=f.key())
    assert (response.status_code, problem(response)["code"]) == (422, "validation_error")


def test_the_card_shows_its_tier_and_the_tier_rate_applies(till, cashier_s01, finance):
    from membercard.loyalty.models import Tier
    from membercard.loyalty.services import set_tier

    product = f.product(
        has_tiers=True, has_discount=True, discount_rate_bp=200, has_points=True, points_per_unit=1
    )
    Tier.objects.create(product=product, code="gold", name="Gold", rank=2, discount_rate_bp=1_000)
    card = f.sold_card(cashier_s01, product, 10_000)
    set_tier(actor=finance, card_number=card.number, tier_code="gold", reason="VIP")

    summary = body(till.get(f"/cards/{card.number}"))
    assert (summary["tier"], summary["discount_rate_bp"]) == (
        {"code": "gold", "name": "Gold"},
        1_000,
    )
    paid = body(till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="k"))
    assert (paid["discount"], paid["net"]) == (100, 900)


def test_points_pay_part_of_a_purchase(till, card, product):
    from membercard.loyalty.models import LoyaltyPolicy

    LoyaltyPolicy.objects.create(product=product, conversion_points=10, conversion_value_minor=100)
    till.post(f"/cards/{card.number}/purchases", {"amount": 5_000}, key="earn")  # 47 points
    paid = body(
        till.post(
            f"/cards/{card.number}/purchases", {"amount": 1_000, "redeem_points": 20}, key="r"
        )
    )
    assert (paid["points_redeemed"], paid["discount"], paid["net"]) == (20, 50 + 200, 750)
    assert paid["points_after"] == 47 - 20 + paid["points_earned"]


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [("purchases", {"amount": 100}), ("top-ups", {"amount": 100, "tender": "cash"})],
)
def test_another_stores_stock_answers_like_no_card(till, other_shop, product, endpoint, payload):
    there = f.stock_card(product, other_shop)
    with unchanged(there):
        hidden = till.post(f"/cards/{there.number}/{endpoint}", payload, key="a")
    missing = till.post(f"/cards/{unused_number(product)}/{endpoint}", payload, key="b")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert LookupMiss.objects.get().misses == 2
