"""POST /cards/{number}/top-ups: only where the product lets stores top up."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.operations.card_life import freeze_card
from tests import factories as f
from tests.api.conftest import body, problem
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def rechargeable(cashier_s01):
    product = f.product(stores_may_top_up=True, bonus_rules=[[50_000, 5_000]])
    return f.sold_card(cashier_s01, product, 1_000)


def test_top_up_where_stores_may(till, rechargeable):
    response = till.post(
        f"/cards/{rechargeable.number}/top-ups", {"amount": 50_000, "tender": "bank_card"}, key="t1"
    )
    assert response.status_code == 201
    topped = body(response)
    assert (topped["kind"], topped["gross"], topped["bonus_granted"], topped["tender"]) == (
        "top_up",
        50_000,
        5_000,
        "bank_card",
    )
    assert (topped["balance_after"], topped["currency"]) == (56_000, "CNY")
    assert f.balances(rechargeable) == (51_000, 5_000, 0)


def test_hq_tops_up_other_products(till, card):
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/top-ups", {"amount": 1_000, "tender": "cash"}, key=f.key()
        )
    assert response.status_code == 403
    assert problem(response)["code"] == "not_permitted"


def test_a_frozen_card_is_not_topped_up(till, rechargeable, shop):
    freeze_card(actor=f.actor(Role.STORE_CASHIER, shop), card_number=rechargeable.number)
    with unchanged(rechargeable):
        response = till.post(
            f"/cards/{rechargeable.number}/top-ups", {"amount": 1_000, "tender": "cash"}, key="t"
        )
    assert (response.status_code, problem(response)["code"]) == (422, "card_not_active")


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": 0, "tender": "cash"},
        {"amount": 1_000_000_001, "tender": "cash"},
        {"amount": True, "tender": "cash"},
        {"amount": 100},
    ],
)
def test_bad_amounts_and_tenders(till, rechargeable, payload):
    with unchanged(rechargeable):
        response = till.post(f"/cards/{rechargeable.number}/top-ups", payload, key=f.key())
    assert (response.status_code, problem(response)["code"]) == (422, "validation_error")
