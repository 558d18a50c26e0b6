"""GET /operations/{id}: one operation of this store with its transfers and receipt."""

from __future__ import annotations

import pytest

from tests.api.conftest import body, problem

pytestmark = pytest.mark.django_db


def test_an_operation_with_transfers_and_receipt(till, card):
    paid = body(till.post(f"/cards/{card.number}/purchases", {"amount": 2_000}, key="p"))
    response = till.get(f"/operations/{paid['operation_id']}")
    assert response.status_code == 200
    detail = body(response)
    assert {k: detail[k] for k in paid} == paid  # the same facts as the purchase's answer
    assert detail["transfers"] == [
        {
            "debit": "card_principal",
            "credit": "value_redeemed:S01",
            "unit": "money",
            "amount": 1_900,
            "debit_balance_after": 8_100,
            "credit_balance_after": None,
        },
        {
            "debit": "points_issued:HQ",
            "credit": "card_points",
            "unit": "points",
            "amount": 19,
            "debit_balance_after": None,
            "credit_balance_after": 19,
        },
    ]
    receipt = detail["receipt"]
    assert receipt["number"] == paid["receipt_number"]
    assert "Amount: 20.00" in receipt["lines"]
    assert "Discount: -1.00" in receipt["lines"]
    assert "Card balance: 81.00 CNY" in receipt["lines"]
    assert card.number not in str(receipt)


def test_another_stores_operation_answers_like_none(till, other_till, card):
    theirs = body(other_till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="o"))
    hidden = till.get(f"/operations/{theirs['operation_id']}")
    missing = till.get("/operations/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert problem(hidden)["code"] == "not_found"


def test_an_operation_of_this_store_by_someone_else_is_visible(till, card):
    sale = card.operations.get()  # sold by a cashier at S01
    assert body(till.get(f"/operations/{sale.pk}"))["kind"] == "card_sale"


@pytest.mark.parametrize("operation", ["0", "x", "99999999999999999999"])
def test_bad_ids(till, operation):
    assert problem(till.get(f"/operations/{operation}"))["code"] == "validation_error"
