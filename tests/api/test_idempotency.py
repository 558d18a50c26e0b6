"""Idempotency-Key on money requests: a replay gets the first answer byte for byte with
``Idempotent-Replayed: true``; the same key with another body is 409; concurrent
duplicates charge once."""

from __future__ import annotations

import pytest
from django.test import Client

from membercard.ledger.idempotency import MAX_KEY_LENGTH
from membercard.ledger.models import IdempotencyRecord, Operation
from tests import factories as f
from tests.api.conftest import API, body, make_till, problem, run_threads
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


def _replayed(till, path, payload, key):
    first = till.post(path, payload, key=key)
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    count = Operation.objects.count()
    again = till.post(path, payload, key=key)
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert Operation.objects.count() == count
    return body(first)


def test_every_money_endpoint_replays(till, shop, card):
    stock = f.stock_card(f.product(stores_may_top_up=True), shop)
    _replayed(till, f"/cards/{stock.number}/sale", {"initial_value": 500, "tender": "cash"}, "s")
    _replayed(till, f"/cards/{stock.number}/top-ups", {"amount": 700, "tender": "cash"}, "t")
    bought = _replayed(till, f"/cards/{card.number}/purchases", {"amount": 2_000}, "p")
    refunded = _replayed(
        till, f"/operations/{bought['operation_id']}/refunds", {"amount": 100}, "r"
    )
    _replayed(till, f"/operations/{refunded['operation_id']}/reversal", None, "v")


def test_a_replay_is_identical_after_the_card_moved_on(till, card):
    path = f"/cards/{card.number}/purchases"
    first = till.post(path, {"amount": 1_000}, key="k1")
    till.post(path, {"amount": 3_000}, key="k2")
    till.post(path, {"amount": 500, "reference": "other"}, key="k3")
    again = till.post(path, {"amount": 1_000}, key="k1")
    assert again.content == first.content
    assert body(again)["balance_after"] == 10_000 - 950


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": 1_001},
        {"amount": 1_000, "reference": "x"},
        {"amount": 1_000, "allow_split": True},
        {"amount": 1_000, "pay_with_balance": False},
    ],
)
def test_the_same_key_with_another_body_is_409(till, card, changed):
    path = f"/cards/{card.number}/purchases"
    till.post(path, {"amount": 1_000}, key="k1")
    with unchanged(card):
        response = till.post(path, changed, key="k1")
    assert (response.status_code, problem(response)["code"]) == (409, "idempotency_conflict")


def test_the_same_key_on_another_endpoint_or_card_is_409(till, card, cashier_s01, product):
    other = f.sold_card(cashier_s01, product, 1_000)
    till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="k1")
    other_card = till.post(f"/cards/{other.number}/purchases", {"amount": 1_000}, key="k1")
    top_up = till.post(
        f"/cards/{card.number}/top-ups", {"amount": 1_000, "tender": "cash"}, key="k1"
    )
    assert (other_card.status_code, top_up.status_code) == (409, 409)


def test_keys_are_per_terminal(till, card, shop):
    second = make_till("S01", "till-2")
    a = till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="same")
    b = second.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="same")
    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b
    assert body(a)["operation_id"] != body(b)["operation_id"]


def test_a_refused_request_leaves_no_key(till, card):
    path = f"/cards/{card.number}/purchases"
    assert till.post(path, {"amount": 50_000}, key="k").status_code == 422
    assert not IdempotencyRecord.objects.filter(scope=f"terminal:{till.terminal.pk}").exists()
    retried = till.post(path, {"amount": 50_000, "allow_split": True}, key="k")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


@pytest.mark.parametrize(
    ("key", "status"),
    [("", 422), (" ", 422), ("x" * (MAX_KEY_LENGTH + 1), 422), ("x" * MAX_KEY_LENGTH, 201)],
)
def test_key_format(till, card, key, status):
    response = till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key=key)
    assert response.status_code == status
    if status == 422:
        assert problem(response)["code"] == "validation_error"


def test_a_missing_key_is_named(till, card):
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/purchases", {"amount": 100})
    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "validation_error")
    assert "Idempotency-Key" in details["detail"]
    assert details["errors"][0]["loc"] == ["header", "Idempotency-Key"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_purchases_charge_once(till, card):
    """Ten tills' worth of retries at once, each thread with its own client and connection:
    one purchase, ten identical answers, nine of them marked as replays."""
    path = f"{API}/cards/{card.number}/purchases"

    def send(index: int):
        client = Client(headers={"Authorization": f"Bearer {till.key}"})
        return client.post(
            path,
            data='{"amount": 3000}',
            content_type="application/json",
            headers={"Idempotency-Key": "one-sale"},
        )

    responses = run_threads(10, send)

    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.content for r in responses}) == 1
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == [""] + ["true"] * 9
    assert Operation.objects.filter(card=card, kind="purchase").count() == 1
    assert f.balances(card)[0] == 10_000 - 2_850
