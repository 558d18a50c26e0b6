"""GET /stock: cards on this store's shelf, by product, cursor-paginated."""

from __future__ import annotations

import pytest

from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from tests import factories as f
from tests.api.conftest import body, problem
from tests.inventory import factories as inv

pytestmark = pytest.mark.django_db


def test_this_stores_stock_only(till, shop, other_shop, product, card):
    other = f.product(code="other", name="Other card")
    here = sorted([f.stock_card(product, shop).number for _ in range(3)])
    mine_other = f.stock_card(other, shop).number
    f.stock_card(product, other_shop)  # another store's shelf

    listed = body(till.get("/stock"))
    assert sorted(item["number"] for item in listed["items"]) == sorted([*here, mine_other])
    assert card.number not in str(listed)  # sold, not on the shelf

    only = body(till.get(f"/stock?product={product.code}"))
    assert [item["number"] for item in only["items"]] == here
    assert only["items"][0]["product"] == {"code": product.code, "name": product.name}
    assert body(till.get("/stock?product=nosuch")) == {"items": [], "next_cursor": None}


def test_pages(till, shop, product):
    numbers = sorted(f.stock_card(product, shop).number for _ in range(5))
    seen, cursor = [], ""
    for _ in range(3):
        page = body(till.get(f"/stock?limit=2{'&cursor=' + cursor if cursor else ''}"))
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers


@pytest.mark.parametrize("query", ["cursor=nope", "limit=0", "limit=101"])
def test_bad_queries(till, query):
    response = till.get(f"/stock?{query}")
    assert (response.status_code, problem(response)["code"]) == (422, "validation_error")


def test_a_nul_byte_in_the_query_is_refused(till):
    # Refused before the endpoint (the input guard) or by it: a client error, never a 500.
    response = till.get("/stock?product=a%00b")
    assert (response.status_code, problem(response)["code"]) in {
        (400, "malformed_request"),
        (422, "validation_error"),
    }


def test_another_store_sees_its_own_stock(other_till, shop, product):
    f.stock_card(product, shop)
    assert body(other_till.get("/stock"))["items"] == []


def test_cards_on_their_way_to_the_store_are_not_listed_before_it_confirms(till, shop, product):
    # Blind count: the till cannot read what a handover brings before the store has counted it
    keeper = inv.keeper()
    coming = inv.run_of_cards(product, f.hq(), 3)
    handover = inv.draft_handover(keeper, shop, coming)
    dispatch_handover(actor=keeper, handover_id=handover.pk)

    listed = str(body(till.get("/stock")))
    schema = till.get("/openapi.json").content.decode()

    assert all(card.number not in listed for card in coming)
    assert "handover" not in schema.lower()  # no API route reads a handover's list
    receive_handover(
        actor=inv.store_staff("S01"),
        handover_id=handover.pk,
        scanned=[card.number for card in coming],
    )
    received = [item["number"] for item in body(till.get("/stock"))["items"]]
    assert received == [card.number for card in coming]
