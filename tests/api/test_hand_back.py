"""POST /cards/{number}/hand-back: a one-time card taken back by a POS terminal."""

from __future__ import annotations

import pytest

from membercard.cards.models import ValueOnHandBack
from membercard.cards.states import CardState
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.api.conftest import body, problem
from tests.ledger.helpers import house, pay, unchanged

pytestmark = pytest.mark.django_db


def keychain(**policy):
    return f.product(rechargeable=False, face_values=[10_000], deposit_minor=1_000, **policy)


def test_a_spent_card_is_handed_back_and_the_answer_has_every_line(till, cashier_s01):
    card = f.sold_card(cashier_s01, keychain(), 10_000)
    pay(cashier_s01, card, 10_000)
    response = till.post(f"/cards/{card.number}/hand-back", {"tender": "cash"}, key="hb-1")
    assert response.status_code == 201
    answer = body(response)
    assert (answer["kind"], answer["net"], answer["tender"]) == ("card_recovery", 1_000, "cash")
    assert (answer["deposit_refunded"], answer["value_paid_out"], answer["bonus_forfeited"]) == (
        1_000,
        0,
        0,
    )
    assert answer["card_state"] == "recovered"
    operation = Operation.objects.get(kind=OperationKind.CARD_RECOVERY)
    assert (answer["operation_id"], answer["receipt_number"]) == (
        operation.pk,
        operation.receipt_number,
    )
    assert card.number not in response.content.decode()
    # A replay answers the same, once
    again = till.post(f"/cards/{card.number}/hand-back", {"tender": "cash"}, key="hb-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert body(again) == answer
    assert Operation.objects.filter(kind=OperationKind.CARD_RECOVERY).count() == 1
    assert house("deposits:S01") == 0
    assert operation.read_as == "keyed"  # a number in the path, the till saying nothing


def test_how_the_till_read_the_card_is_kept(till, cashier_s01):
    card = f.sold_card(cashier_s01, keychain(), 10_000)
    pay(cashier_s01, card, 10_000)
    body_ = {"tender": "cash", "read_as": "tapped"}
    assert till.post(f"/cards/{card.number}/hand-back", body_, key="hb-2").status_code == 201
    assert Operation.objects.get(kind=OperationKind.CARD_RECOVERY).read_as == "tapped"


def test_value_left_is_paid_out_where_the_product_says_so(till, cashier_s01):
    product = keychain(value_on_hand_back=ValueOnHandBack.PAY_OUT, bonus_rules=[[10_000, 800]])
    card = f.sold_card(cashier_s01, product, 10_000)
    pay(cashier_s01, card, 2_000)
    response = till.post(f"/cards/{card.number}/hand-back", {"tender": "bank_card"}, key="hb-2")
    answer = body(response)
    assert (answer["deposit_refunded"], answer["value_paid_out"], answer["bonus_forfeited"]) == (
        1_000,
        8_000,
        800,
    )
    assert (answer["net"], answer["balance_after"]) == (9_000, 0)


def test_value_left_is_refused_by_default(till, cashier_s01):
    card = f.sold_card(cashier_s01, keychain(), 10_000)
    pay(cashier_s01, card, 2_000)
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/hand-back", {"tender": "cash"}, key="hb-3")
    assert (response.status_code, problem(response)["code"]) == (422, "product_policy")


def test_a_terminal_may_not_restock(till, cashier_s01):
    card = f.sold_card(cashier_s01, keychain(), 10_000)
    pay(cashier_s01, card, 10_000)
    with unchanged(card):
        response = till.post(
            f"/cards/{card.number}/hand-back", {"tender": "cash", "fit_to_sell": True}, key="hb-4"
        )
    assert (response.status_code, problem(response)["code"]) == (403, "not_permitted")
    card.refresh_from_db()
    assert card.state == CardState.ACTIVE


def test_the_endpoint_is_documented(till):
    schema = till.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/cards/{number}/hand-back"]["post"]
    assert operation["summary"] == "Take a one-time card back"
    answer = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert answer.endswith("/HandBackOut")


def test_the_sale_answer_shows_the_deposit_and_the_card_fee_as_their_own_lines(till, shop):
    card = f.stock_card(keychain(card_fee_minor=200), shop)
    sold = till.post(
        f"/cards/{card.number}/sale", {"initial_value": 10_000, "tender": "cash"}, key="s-1"
    )
    answer = body(sold)
    assert (answer["net"], answer["deposit"], answer["card_fee"]) == (11_200, 1_000, 200)
    assert answer["balance_after"] == 10_000
