"""POST /cards/{number}/sale: a card from this store's stock becomes active."""

from __future__ import annotations

import pytest

from membercard.cards.models import Card
from membercard.loyalty.models import Member
from tests import factories as f
from tests.api.conftest import body, problem, unused_number
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def bonus_product():
    return f.product(bonus_rules=[[10_000, 1_000]])


def test_sell_a_card_from_this_stores_stock(till, shop, bonus_product):
    card = f.stock_card(bonus_product, shop)
    response = till.post(
        f"/cards/{card.number}/sale",
        {
            "initial_value": 10_000,
            "tender": "mobile_pay",
            "member": {"name": "Li Lei", "mobile": "138-0013-8000"},
        },
        key=f.key(),
    )
    assert response.status_code == 201
    sold = body(response)
    assert (sold["kind"], sold["gross"], sold["tender"], sold["bonus_granted"]) == (
        "card_sale",
        10_000,
        "mobile_pay",
        1_000,
    )
    assert (sold["balance_after"], sold["currency"], sold["terminal"]) == (11_000, "CNY", "till-1")
    card.refresh_from_db()
    assert (card.state, card.member.mobile, card.sold_at) == ("active", "13800138000", shop)
    assert Member.objects.get().registered_at == shop
    assert f.balances(card) == (10_000, 1_000, 0)


def test_a_refused_sale_leaves_no_member_behind(till, shop, bonus_product):
    card = f.stock_card(bonus_product, shop)
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/sale",
            {
                "initial_value": 500_000,  # + 1 000 bonus: over the registered limit
                "tender": "cash",
                "member": {"name": "Li Lei", "mobile": "138-0013-8000"},
            },
            key=f.key(),
        )
    assert response.status_code == 422
    assert problem(response)["code"] == "prepaid_limit_exceeded"
    assert not Member.objects.exists()


def test_another_stores_stock_answers_like_no_card(till, other_shop, bonus_product):
    there = f.stock_card(bonus_product, other_shop)
    payload = {"initial_value": 10_000, "tender": "cash"}
    with unchanged(there):
        hidden = till.post(f"/cards/{there.number}/sale", payload, key=f.key())
    missing = till.post(f"/cards/{unused_number(bonus_product)}/sale", payload, key=f.key())
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_an_active_card_cannot_be_sold_again(till, card):
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/sale", {"initial_value": 100, "tender": "cash"}, key=f.key()
        )
    assert response.status_code == 422
    assert problem(response)["code"] == "card_not_in_stock"


def test_face_values_are_the_products(till, shop):
    product = f.product(face_values=[5_000, 10_000])
    card = f.stock_card(product, shop)
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/sale", {"initial_value": 7_000, "tender": "cash"}, key=f.key()
        )
    details = problem(response)
    assert (response.status_code, details["code"], details["allowed"]) == (
        422,
        "product_policy",
        [5_000, 10_000],
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"initial_value": 100, "tender": "cheque"}, "tender"),
        ({"initial_value": -1, "tender": "cash"}, "initial_value"),
        ({"initial_value": "100", "tender": "cash"}, "initial_value"),
        ({"initial_value": 1.5, "tender": "cash"}, "initial_value"),
        ({"tender": "cash"}, "initial_value"),
        ({"initial_value": 100, "tender": "cash", "member": {"name": "", "mobile": "1"}}, "name"),
    ],
)
def test_bad_bodies_are_validation_errors(till, shop, bonus_product, payload, field):
    card = f.stock_card(bonus_product, shop)
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/sale", payload, key=f.key())
    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "validation_error")
    assert field in details["detail"]


def test_a_bad_mobile_is_refused_and_nothing_sold(till, shop, bonus_product):
    card = f.stock_card(bonus_product, shop)
    payload = {"initial_value": 100, "tender": "cash", "member": {"name": "X", "mobile": "12ab56"}}
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/sale", payload, key=f.key())
    assert problem(response)["code"] == "validation_error"
    assert Card.objects.get(pk=card.pk).state == "in_stock"
