"""Paying part of a purchase with points at the web counter, as the API does
(``redeem_points``): the panel asks for the points where the product converts them, the
preview shows what they pay, the confirm posts them, the receipt shows them."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import purchase
from tests import factories as f
from tests.ledger.helpers import unchanged
from tests.loyalty.helpers import points_product
from tests.web.test_counter_helpers import HTMX, element, key_in, seller

pytestmark = pytest.mark.django_db

PREVIEW = {**HTMX, "X-Error-Target": "#purchase-preview"}
# 100 points pay 1.00.
CONVERTING = {"conversion_points": 100, "conversion_value_minor": 100}


@pytest.fixture
def cashier(client_for):
    f.hq()
    return client_for(Role.STORE_CASHIER)


@pytest.fixture
def card():
    """A card with 100.00 on it and 300 points (earned on a 300.00 purchase)."""
    card = f.sold_card(seller(), points_product(CONVERTING), value_minor=40_000)
    purchase(actor=seller(), card_number=card.number, amount_minor=30_000, idempotency_key=f.key())
    assert f.balances(card) == (10_000, 0, 300)
    return card


def panel(client, card) -> str:
    return client.post("/counter/card/", {"card": card.number}, headers=HTMX).content.decode()


def test_the_panel_asks_for_points_where_the_product_converts_them(cashier, card):
    html = panel(cashier, card)
    assert 'id="points-input"' in html and 'name="points"' in html
    assert "300 points usable; 100 points pay 1.00 CNY." in html
    plain = f.sold_card(seller(), points_product(), value_minor=1_000)
    assert 'id="points-input"' not in panel(cashier, plain)


def test_points_pay_part_of_the_purchase_from_preview_to_receipt(cashier, card):
    key = key_in(panel(cashier, card), "purchase-form")
    data = {"card": card.number, "amount": "10.00", "points": "250", "idempotency_key": key}

    with unchanged(card):
        preview = cashier.post("/counter/quote/", data, headers=PREVIEW)
    assert preview.status_code == 200
    assert element(preview.content, "preview-points-used") == "250"
    assert element(preview.content, "preview-points-off") == "2.50 CNY"
    assert element(preview.content, "preview-net") == "7.50 CNY"
    assert 'name="points" value="250"' in preview.content.decode()

    confirm = key_in(preview.content, "confirm-form")
    done = cashier.post(
        "/counter/purchase/",
        {"card": card.number, "amount": "10.00", "points": "250", "idempotency_key": confirm},
    )
    assert done.status_code == 302
    operation_id = int(done["Location"].rstrip("/").rsplit("/", 1)[1])
    operation = Operation.objects.get(pk=operation_id, kind=OperationKind.PURCHASE)
    assert (operation.gross_minor, operation.net_minor) == (1_000, 750)
    assert operation.details["points_redeemed"] == 250
    # 7.50 from the balance, 250 points spent, 7 points earned on the 7.50 paid
    assert f.balances(card) == (9_250, 0, 300 - 250 + 7)

    receipt = cashier.get(done["Location"])
    assert element(receipt.content, "receipt-points-off") == "2.50 CNY"
    assert element(receipt.content, "receipt-points-used") == "250"


def test_more_points_than_the_card_has_are_refused_in_the_preview(cashier, card):
    data = {"card": card.number, "amount": "10.00", "points": "301", "idempotency_key": f.key()}
    with unchanged(card):
        response = cashier.post("/counter/quote/", data, headers=PREVIEW)
        confirm = cashier.post("/counter/purchase/", data, headers=PREVIEW)
    assert response.status_code == 422
    assert b'data-code="insufficient_points"' in response.content
    assert confirm.status_code == 422
    assert not Operation.objects.filter(details__points_redeemed__gt=0).exists()


def test_points_on_a_card_that_does_not_convert_them_are_refused(cashier):
    plain = f.sold_card(seller(), points_product(), value_minor=1_000)
    data = {"card": plain.number, "amount": "1.00", "points": "10", "idempotency_key": f.key()}
    with unchanged(plain):
        response = cashier.post("/counter/quote/", data, headers=PREVIEW)
    assert response.status_code == 422
