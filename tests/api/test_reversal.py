"""POST /operations/{id}/reversal: a terminal reverses its own operations of the open day."""

from __future__ import annotations

import datetime as dt

import pytest

from membercard.core.models import Role
from membercard.operations import corrections, purchase
from tests import factories as f
from tests.api.conftest import body, make_till, problem
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(till, card):
    return body(till.post(f"/cards/{card.number}/purchases", {"amount": 4_000}, key="buy"))


def test_reverse_own_purchase(till, card, bought):
    response = till.post(f"/operations/{bought['operation_id']}/reversal", key="rev")
    assert response.status_code == 201
    reversal = body(response)
    assert (reversal["kind"], reversal["reverses"], reversal["gross"]) == (
        "reversal",
        bought["operation_id"],
        4_000,
    )
    assert (reversal["balance_after"], reversal["points_after"]) == (10_000, 0)
    assert f.balances(card) == (10_000, 0, 0)


def test_twice_is_refused(till, card, bought):
    till.post(f"/operations/{bought['operation_id']}/reversal", key="rev")
    with unchanged(card):
        response = till.post(f"/operations/{bought['operation_id']}/reversal", key="rev2")
    assert (response.status_code, problem(response)["code"]) == (422, "not_reversible")


def test_another_terminal_of_this_store_needs_a_manager(till, card, bought, shop):
    second = make_till("S01", "till-2")
    with unchanged(card):
        response = second.post(f"/operations/{bought['operation_id']}/reversal", key="rev")
    assert (response.status_code, problem(response)["code"]) == (403, "not_permitted")


def test_a_cashiers_operation_is_not_the_terminals(till, card, cashier_s01):
    theirs = purchase(
        actor=cashier_s01, card_number=card.number, amount_minor=100, idempotency_key=f.key()
    )
    response = till.post(f"/operations/{theirs.pk}/reversal", key="rev")
    assert (response.status_code, problem(response)["code"]) == (403, "not_permitted")


def test_another_stores_operation_answers_like_none(till, card, other_till):
    theirs = body(other_till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key="o"))
    with unchanged(card):
        hidden = till.post(f"/operations/{theirs['operation_id']}/reversal", key="rev")
    missing = till.post("/operations/987654/reversal", key="rev2")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_only_the_open_business_day(till, card, bought, monkeypatch):
    tomorrow = corrections.today() + dt.timedelta(days=1)
    monkeypatch.setattr(corrections, "today", lambda: tomorrow)
    with unchanged(card):
        response = till.post(f"/operations/{bought['operation_id']}/reversal", key="rev")
    assert (response.status_code, problem(response)["code"]) == (422, "not_reversible")


def test_a_reversal_needs_an_idempotency_key(till, bought):
    response = till.post(f"/operations/{bought['operation_id']}/reversal")
    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "validation_error")
    assert "Idempotency-Key" in details["detail"]


def test_a_store_manager_is_not_needed_for_own_sale(till, shop, product):
    card = f.stock_card(product, shop)
    sold = body(
        till.post(f"/cards/{card.number}/sale", {"initial_value": 500, "tender": "cash"}, key="s")
    )
    response = till.post(f"/operations/{sold['operation_id']}/reversal", key="rev")
    assert response.status_code == 201
    card.refresh_from_db()
    assert card.state == "in_stock"
    assert f.actor(Role.STORE_MANAGER, shop)  # a manager exists, yet was not needed
