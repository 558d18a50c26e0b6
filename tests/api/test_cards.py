"""GET /cards/{number} and GET /cards/{number}/operations (this store's, newest first)."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.operations import purchase
from tests import factories as f
from tests.api.conftest import body, mistyped, problem, unused_number

pytestmark = pytest.mark.django_db


def test_get_card_gives_the_summary(till, card):
    response = till.get(f"/cards/{card.number}")
    assert response.status_code == 200
    summary = body(response)
    assert (summary["number"], summary["read_as"], summary["balance"]["total"]) == (
        card.number,
        None,
        10_000,
    )
    assert body(till.post("/cards/lookup", {"input": card.number}))["balance"] == summary["balance"]


def test_get_card_of_another_stores_stock_answers_like_no_card(till, other_shop, product):
    there = f.stock_card(product, other_shop)
    hidden = till.get(f"/cards/{there.number}")
    missing = till.get(f"/cards/{unused_number(product)}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


@pytest.mark.parametrize("number", ["abc", "12345", "8810-0000", "00BC614E", "٨٨١٠٠٠٠٠٠٠٠٠٠٠١٧"])
def test_get_card_refuses_what_is_not_a_card_number(till, number):
    response = till.get(f"/cards/{number}")
    assert response.status_code == 422
    assert problem(response)["code"] == "invalid_card_number"


def test_get_card_with_a_wrong_check_digit(till, card):
    assert problem(till.get(f"/cards/{mistyped(card.number)}"))["code"] == "invalid_card_number"


def test_history_is_newest_first_and_pages_with_a_cursor(till, card, cashier_s01):
    for amount in (100, 200, 300, 400, 500):
        till.post(f"/cards/{card.number}/purchases", {"amount": amount}, key=f.key())

    first = body(till.get(f"/cards/{card.number}/operations?limit=4"))
    assert [op["gross"] for op in first["items"]] == [500, 400, 300, 200]
    assert first["next_cursor"]
    second = body(
        till.get(f"/cards/{card.number}/operations?limit=4&cursor={first['next_cursor']}")
    )
    assert [(op["kind"], op["gross"]) for op in second["items"]] == [
        ("purchase", 100),
        ("card_sale", 10_000),
    ]
    assert second["next_cursor"] is None
    # Each item is how the card stood right after it, not now.
    assert [op["balance_after"] for op in first["items"]] == [
        10_000 - 95 - 190 - 285 - 380 - 475,
        10_000 - 95 - 190 - 285 - 380,
        10_000 - 95 - 190 - 285,
        10_000 - 95 - 190,
    ]
    assert all(op["currency"] == "CNY" for op in first["items"])
    assert all("•••• " in op["card_number_masked"] for op in first["items"])


def test_history_lists_only_this_stores_operations(till, other_till, card, other_shop):
    elsewhere = f.actor(Role.STORE_CASHIER, other_shop)
    purchase(actor=elsewhere, card_number=card.number, amount_minor=700, idempotency_key=f.key())
    here = body(till.get(f"/cards/{card.number}/operations"))
    there = body(other_till.get(f"/cards/{card.number}/operations"))
    assert [op["kind"] for op in here["items"]] == ["card_sale"]
    assert [(op["kind"], op["gross"], op["store"]) for op in there["items"]] == [
        ("purchase", 700, "S02")
    ]


@pytest.mark.parametrize(
    "cursor", ["garbage", "b3A6", "b3A6LTE", "c3RvY2s6MQ", "b3A6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"]
)
def test_a_bad_cursor_is_a_validation_error(till, card, cursor):
    response = till.get(f"/cards/{card.number}/operations?cursor={cursor}")
    assert response.status_code == 422
    assert problem(response)["code"] == "validation_error"


def test_history_of_another_stores_stock_card_is_404(till, other_shop, product):
    there = f.stock_card(product, other_shop)
    response = till.get(f"/cards/{there.number}/operations")
    assert problem(response)["code"] == "card_not_found"
