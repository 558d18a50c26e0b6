"""POST /operations/{id}/refunds: (part of) a purchase made at this store."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.operations import purchase, top_up
from tests import factories as f
from tests.api.conftest import body, problem
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought(till, card):
    return body(till.post(f"/cards/{card.number}/purchases", {"amount": 4_000}, key="buy"))


def test_refund_part_of_a_purchase(till, card, bought):
    response = till.post(
        f"/operations/{bought['operation_id']}/refunds",
        {"amount": 1_900, "reason": "One item back"},
        key="r1",
    )
    assert response.status_code == 201
    refunded = body(response)
    assert (refunded["kind"], refunded["refund_of"], refunded["gross"]) == (
        "refund",
        bought["operation_id"],
        1_900,
    )
    assert refunded["balance_after"] == bought["balance_after"] + 1_900
    assert refunded["points_taken_back"] == 19  # half the net: half the 38 points
    assert refunded["points_after"] == 19
    assert refunded["currency"] == "CNY"


def test_a_refund_may_not_exceed_the_purchase(till, card, bought):
    till.post(f"/operations/{bought['operation_id']}/refunds", {"amount": 3_000}, key="r1")
    with unchanged(card):
        response = till.post(
            f"/operations/{bought['operation_id']}/refunds", {"amount": 1_000}, key="r2"
        )
    details = problem(response)
    assert (response.status_code, details["code"], details["refundable"]) == (
        422,
        "refund_exceeds_purchase",
        800,
    )


def test_another_stores_purchase_answers_like_no_purchase(till, card, other_shop):
    elsewhere = f.actor(Role.STORE_CASHIER, other_shop)
    theirs = purchase(
        actor=elsewhere, card_number=card.number, amount_minor=1_000, idempotency_key=f.key()
    )
    with unchanged(card):
        hidden = till.post(f"/operations/{theirs.pk}/refunds", {"amount": 100}, key="a")
    missing = till.post("/operations/999999/refunds", {"amount": 100}, key="b")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_only_purchases_are_refunded(till, card, finance):
    topped = top_up(
        actor=finance, card_number=card.number, amount_minor=100, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    response = till.post(f"/operations/{topped.pk}/refunds", {"amount": 100}, key="a")
    assert (response.status_code, problem(response)["code"]) == (404, "not_found")


@pytest.mark.parametrize("operation", ["0", "-1", "abc", str(2**63)])
def test_bad_operation_ids_are_validation_errors(till, operation):
    response = till.post(f"/operations/{operation}/refunds", {"amount": 100}, key="a")
    assert (response.status_code, problem(response)["code"]) == (422, "validation_error")
