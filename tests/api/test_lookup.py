"""POST /cards/lookup: reader input in, the card's counter summary out."""

from __future__ import annotations

import pytest

from membercard.api.models import LookupMiss
from membercard.cards import reader
from membercard.core.models import Role
from membercard.loyalty.models import Member
from tests import factories as f
from tests.api.conftest import body, mistyped, problem, unused_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("present", "read_as"),
    [
        (lambda n: n, "keyed"),
        (lambda n: f"{n[:4]} {n[4:8]}-{n[8:]}", "keyed"),
        (reader.track2, "swiped"),
        (reader.track1, "swiped"),
        (reader.barcode_value, "scanned"),
        (reader.qr_payload, "scanned"),
    ],
)
def test_lookup_reads_every_kind_of_input(till, card, present, read_as):
    response = till.post("/cards/lookup", {"input": present(card.number)})
    assert response.status_code == 200
    summary = body(response)
    assert summary["number"] == card.number
    assert summary["number_masked"].endswith(card.number[-4:])
    assert summary["read_as"] == read_as
    assert summary["state"] == "active"
    assert summary["balance"] == {
        "principal": 10_000,
        "bonus": 0,
        "total": 10_000,
        "currency": "CNY",
    }
    assert summary["points"] == 0
    assert summary["discount_rate_bp"] == 500
    assert summary["currency"] == "CNY"
    assert summary["product"]["points"] is True
    assert summary["tier"] is None
    assert LookupMiss.objects.count() == 0


def test_lookup_by_rfid_uid(till, card):
    card.uid = "00BC614E"
    card.save()
    response = till.post("/cards/lookup", {"input": "0012345678"})
    assert response.status_code == 200
    assert (body(response)["number"], body(response)["read_as"]) == (card.number, "tapped")


def test_the_member_shows_with_a_masked_mobile(till, product, shop):
    member = Member.objects.create(name="Li Lei", mobile="13800138000")
    card = f.sold_card(f.actor(Role.STORE_CASHIER, shop), product, 5_000, member=member)
    summary = body(till.post("/cards/lookup", {"input": card.number}))
    assert summary["member"] == {"name": "Li Lei", "mobile": "*******8000"}
    assert "13800138000" not in str(summary)


def test_a_card_sold_at_another_store_is_found_everywhere(other_till, card):
    response = other_till.post("/cards/lookup", {"input": card.number})
    assert response.status_code == 200
    assert body(response)["number"] == card.number


def test_this_stores_stock_is_found_another_stores_is_not(till, other_shop, product, shop):
    here = f.stock_card(product, shop)
    there = f.stock_card(product, other_shop)
    assert body(till.post("/cards/lookup", {"input": here.number}))["state"] == "in_stock"

    hidden = till.post("/cards/lookup", {"input": there.number})
    missing = till.post("/cards/lookup", {"input": unused_number(product)})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert problem(hidden)["code"] == "card_not_found"


def test_a_mistyped_number_is_refused_before_any_lookup_and_counted(till, card):
    response = till.post("/cards/lookup", {"input": mistyped(card.number)})
    assert response.status_code == 422
    assert problem(response)["code"] == "invalid_card_number"
    miss = LookupMiss.objects.get()
    assert (miss.terminal_id, miss.misses) == (till.terminal.pk, 1)


def test_an_unknown_card_is_404_and_counted(till, product):
    for _ in range(3):
        response = till.post("/cards/lookup", {"input": unused_number(product)})
        assert problem(response)["code"] == "card_not_found"
    assert LookupMiss.objects.get().misses == 3


def test_a_bank_card_is_refused_and_not_echoed(till):
    pan = "4111111111111111"
    response = till.post("/cards/lookup", {"input": f";{pan}=2512101?"})
    assert response.status_code == 422
    assert problem(response)["code"] == "payment_card_refused"
    assert pan not in response.content.decode()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"input": "hello"}, "unreadable_input"),
        ({"input": "   "}, "unreadable_input"),
        ({}, "validation_error"),
        ({"input": 8810000000000011}, "validation_error"),
        ({"input": "1" * 513}, "validation_error"),
        ([], "validation_error"),
    ],
)
def test_bad_input_is_a_422_problem(till, payload, code):
    response = till.post("/cards/lookup", payload)
    assert response.status_code == 422
    assert problem(response)["code"] == code
