"""GET /gifts and POST /cards/{number}/gift-redemptions: this store's gifts in stock, and
redeeming one with points (idempotent, refusals as problems, reversible by the terminal)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from membercard.core.models import Role
from membercard.core.terminals import revoke_terminal_key
from membercard.ledger.models import Operation
from membercard.loyalty.services.gifts import create_gift
from tests import factories as f
from tests.api.conftest import body, problem
from tests.ledger.helpers import unchanged
from tests.loyalty.gift_helpers import PNG, new_gift, quantity, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def points(till, card) -> int:
    """The card's points after a purchase at S01 (about 38)."""
    bought = body(till.post(f"/cards/{card.number}/purchases", {"amount": 4_000}, key="earn"))
    assert bought["points_after"] > 20
    return bought["points_after"]


@pytest.fixture
def mug(shop):
    """A mug for 10 points, 5 pieces at S01."""
    return stocked(new_gift("MUG-01", 10, name="Mug"), {shop: 5})


def _redeem(till, card, gift="MUG-01", pieces=1, key="g1"):
    return till.post(
        f"/cards/{card.number}/gift-redemptions", {"gift": gift, "quantity": pieces}, key=key
    )


# GET /gifts -----------------------------------------------------------------------------


def test_the_list_has_this_stores_stock_only(
    till, other_till, shop, other_shop, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    picture = ContentFile(PNG, name="photo.png")
    mug = create_gift(
        actor=f.actor(Role.HQ_ADMIN), code="mug-01", name="Mug", points_price=10, picture=picture
    )
    stocked(mug, {shop: 5})
    stocked(new_gift("VASE", 200, name="Vase"), {other_shop: 3})
    new_gift("PEN", 5)  # none anywhere
    stocked(new_gift("OLD", 5, is_active=False), {shop: 2})  # withdrawn

    response = till.get("/gifts")
    assert response.status_code == 200
    (item,) = body(response)["items"]
    assert item == {
        "code": "MUG-01",
        "name": "Mug",
        "description": "",
        "points_price": 10,
        "quantity": 5,
        "picture_url": "http://testserver/media/gifts/mug-01.png",
        "active_until": None,
    }
    assert [g["code"] for g in body(other_till.get("/gifts"))["items"]] == ["VASE"]
    assert body(other_till.get("/gifts"))["items"][0]["picture_url"] is None
    # The picture is served from MEDIA_ROOT at MEDIA_URL.
    served = Client().get("/media/gifts/mug-01.png")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PNG
    assert quantity(mug, shop) == 5


def test_a_gift_out_of_stock_here_is_not_listed(till, mug, shop, other_shop):
    stocked(mug, {shop: -5, other_shop: 4})
    assert body(till.get("/gifts")) == {"items": []}


# POST /cards/{number}/gift-redemptions --------------------------------------------------


def test_redeem_a_gift(till, card, mug, shop, points):
    response = _redeem(till, card, pieces=2)
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response
    made = body(response)
    operation = Operation.objects.get(pk=made["operation_id"])
    assert made == {
        "operation_id": operation.pk,
        "kind": "gift_redemption",
        "receipt_number": operation.receipt_number,
        "card_number_masked": card.masked_number,
        "store": "S01",
        "terminal": "till-1",
        "created_at": made["created_at"],
        "business_date": operation.business_date.isoformat(),
        "gift_code": "MUG-01",
        "gift_name": "Mug",
        "quantity": 2,
        "points_price": 10,
        "points_used": 20,
        "points_after": points - 20,
        "balance_after": f.balances(card)[0] + f.balances(card)[1],
        "currency": "CNY",
    }
    assert quantity(mug, shop) == 3
    assert f.balances(card)[2] == points - 20
    detail = body(till.get(f"/operations/{operation.pk}"))
    assert "Gift MUG-01 Mug x2" in detail["receipt"]["lines"]
    assert "Points used: 20" in detail["receipt"]["lines"]


def test_a_replay_is_byte_identical(till, card, mug, shop, points):
    first = _redeem(till, card, key="same")
    _redeem(till, card, key="other")  # the card and stock move on
    count = Operation.objects.count()
    again = _redeem(till, card, key="same")
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert Operation.objects.count() == count
    assert quantity(mug, shop) == 3


@pytest.mark.parametrize("changed", [{"quantity": 2}, {"gift": "VASE"}])
def test_the_same_key_with_another_body_is_a_conflict(till, card, mug, shop, points, changed):
    new_gift("VASE", 1)
    assert _redeem(till, card, key="k").status_code == 201
    payload = {"gift": "MUG-01", "quantity": 1, **changed}
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/gift-redemptions", payload, key="k")
    assert (response.status_code, problem(response)["code"]) == (409, "idempotency_conflict")
    assert quantity(mug, shop) == 4


def test_out_of_stock_here(till, card, mug, shop, other_shop, points):
    stocked(new_gift("VASE", 1), {other_shop: 9})
    with unchanged(card):
        too_many = _redeem(till, card, pieces=6, key="a")
        elsewhere = _redeem(till, card, gift="VASE", key="b")
    details = problem(too_many)
    assert (too_many.status_code, details["code"]) == (422, "gift_out_of_stock")
    assert (details["available"], details["needed"]) == (5, 6)
    assert (elsewhere.status_code, problem(elsewhere)["code"]) == (422, "gift_out_of_stock")
    assert quantity(mug, shop) == 5


def test_too_few_points(till, card, shop, points):
    stocked(new_gift("TV", 10_000), {shop: 1})
    with unchanged(card):
        response = _redeem(till, card, gift="TV")
    assert (response.status_code, problem(response)["code"]) == (422, "insufficient_points")


def test_unknown_and_withdrawn_gifts(till, card, shop, points):
    stocked(new_gift("OLD", 1, is_active=False), {shop: 3})
    with unchanged(card):
        unknown = _redeem(till, card, gift="NOPE", key="a")
        withdrawn = _redeem(till, card, gift="OLD", key="b")
    assert (unknown.status_code, problem(unknown)["code"]) == (404, "gift_not_found")
    assert (withdrawn.status_code, problem(withdrawn)["code"]) == (422, "gift_not_available")


@pytest.mark.parametrize(
    "payload",
    [
        {"gift": "MUG-01", "quantity": 0},
        {"gift": "MUG-01", "quantity": 100},
        {"gift": "MUG-01", "quantity": "1"},
        {"gift": "MUG-01", "quantity": True},
        {"gift": "", "quantity": 1},
        {"quantity": 1},
        {"gift": "MUG-01", "quantity": 1, "read_as": "guessed"},
    ],
)
def test_bad_bodies(till, card, mug, payload):
    with unchanged(card):
        response = till.post(f"/cards/{card.number}/gift-redemptions", payload, key=f.key())
    assert (response.status_code, problem(response)["code"]) == (422, "validation_error")


def test_a_key_is_needed(till, card, mug):
    response = till.post(f"/cards/{card.number}/gift-redemptions", {"gift": "MUG-01"})
    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "validation_error")
    assert "Idempotency-Key" in details["detail"]


def test_no_key_and_a_revoked_key_are_refused(till, card, mug, shop, points):
    revoke_terminal_key(terminal=till.terminal)
    for client in (till.client, Client()):
        listed = client.get("/api/v1/gifts")
        with unchanged(card):
            redeemed = client.post(
                f"/api/v1/cards/{card.number}/gift-redemptions",
                {"gift": "MUG-01", "quantity": 1},
                content_type="application/json",
                headers={"Idempotency-Key": f.key()},
            )
        for response in (listed, redeemed):
            assert (response.status_code, problem(response)["code"]) == (401, "not_authenticated")
    assert quantity(mug, shop) == 5


def test_another_stores_shelf_card_answers_like_none(other_till, shop, product, mug):
    shelf = f.stock_card(product, shop)
    response = _redeem(other_till, shelf)
    assert (response.status_code, problem(response)["code"]) == (404, "card_not_found")


# Reversal -------------------------------------------------------------------------------


def test_the_terminal_reverses_its_redemption(till, card, mug, shop, points):
    made = body(_redeem(till, card, pieces=3))
    assert (quantity(mug, shop), f.balances(card)[2]) == (2, points - 30)
    response = till.post(f"/operations/{made['operation_id']}/reversal", key="rev")
    assert response.status_code == 201, response.content
    reversal = body(response)
    assert (reversal["kind"], reversal["reverses"], reversal["points_after"]) == (
        "reversal",
        made["operation_id"],
        points,
    )
    assert (quantity(mug, shop), f.balances(card)[2]) == (5, points)
    again = till.post(f"/operations/{made['operation_id']}/reversal", key="rev2")
    assert (again.status_code, problem(again)["code"]) == (422, "not_reversible")
