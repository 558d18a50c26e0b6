"""The counter at headquarters (issue #16, "At the counter"): the permission table lets HQ
admin and finance sell cards, take payments, freeze and replace cards anywhere, so HQ's
counter serves them, selling from HQ's own stock. Top-ups stay on HQ's card page (under the
HQ top-up approval threshold); HQ's stock keeper has no counter."""

from __future__ import annotations

import re

import pytest

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.web.test_counter_helpers import HTMX, key_in, seller

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[Role.HQ_ADMIN, Role.HQ_FINANCE], ids=str)
def hq_staff(request, client_for):
    f.hq()
    return client_for(request.param)


def panel(client, card) -> str:
    response = client.post("/counter/card/", {"card": card.number}, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def receipt(response) -> Operation:
    assert response.status_code == 302, response.content[:2000]
    return Operation.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_hq_sells_a_card_from_hqs_stock_at_its_counter(hq_staff):
    card = f.stock_card(f.product(), f.hq())
    assert 'id="sell-this-card"' in panel(hq_staff, card)
    page = hq_staff.get("/counter/sell/")
    assert page.status_code == 200
    data = {
        "card": card.number,
        "initial_value": "1,000",
        "tender": "bank_card",
        "idempotency_key": key_in(page.content),
    }
    sale = receipt(hq_staff.post("/counter/sell/", data))
    card.refresh_from_db()
    assert (sale.kind, sale.location, sale.staff) == (
        OperationKind.CARD_SALE,
        f.hq(),
        hq_staff.staff,
    )
    assert (card.state, card.sold_at) == (CardState.ACTIVE, f.hq())
    assert f.balances(card)[0] == 100_000


def test_a_card_on_a_stores_shelf_is_not_sold_at_hq(hq_staff):
    card = f.stock_card(f.product(), f.store())
    assert 'id="sell-this-card"' not in panel(hq_staff, card)
    response = hq_staff.post(
        "/counter/sell/",
        {"card": card.number, "initial_value": "10", "tender": "cash", "idempotency_key": f.key()},
    )
    assert response.status_code == 422
    assert Card.objects.get(pk=card.pk).state == CardState.IN_STOCK


def test_hq_takes_a_purchase_at_its_counter(hq_staff):
    card = f.sold_card(seller(), value_minor=10_000)
    key = key_in(panel(hq_staff, card), "purchase-form")
    data = {"card": card.number, "amount": "12.50", "idempotency_key": key}
    preview = hq_staff.post("/counter/quote/", data, headers=HTMX)
    assert preview.status_code == 200
    confirm = key_in(preview.content, "confirm-form")
    bought = receipt(hq_staff.post("/counter/purchase/", {**data, "idempotency_key": confirm}))
    assert (bought.kind, bought.location) == (OperationKind.PURCHASE, f.hq())
    assert f.balances(card)[0] == 8_750


def test_hq_freezes_and_replaces_with_a_card_from_hqs_stock(hq_staff):
    card = f.sold_card(seller(), value_minor=7_000)
    frozen = receipt(hq_staff.post("/counter/freeze/", {"card": card.number, "reason": "lost"}))
    assert (frozen.kind, frozen.location) == (OperationKind.CARD_FROZEN, f.hq())
    new = f.stock_card(card.product, f.hq())
    replaced = receipt(
        hq_staff.post(
            "/counter/replace/",
            {"card": card.number, "new_card": new.number, "idempotency_key": f.key()},
        )
    )
    assert (replaced.kind, replaced.read_as) == (OperationKind.CARD_REPLACEMENT, "keyed")
    assert f.balances(new)[0] == 7_000


def test_hq_tops_up_on_its_card_page_not_at_the_counter(hq_staff):
    """A top-up at HQ waits for a second person at or above the HQ threshold: the card page
    does that, so the counter offers no top-up at HQ (the stores' counters do)."""
    card = f.sold_card(seller(), f.product(stores_may_top_up=True), value_minor=1_000)
    assert 'id="topup-link"' not in panel(hq_staff, card)
    response = hq_staff.post(
        "/counter/top-up/",
        {"card": card.number, "amount": "20", "tender": "cash", "idempotency_key": f.key()},
    )
    assert response.status_code == 403
    assert f.balances(card)[0] == 1_000


def test_the_menu_offers_hq_money_staff_the_counter(hq_staff):
    home = hq_staff.get("/counter/").content.decode()
    assert re.search(r'href="/counter/"', home)
