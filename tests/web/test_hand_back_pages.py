"""Handing back a one-time card at the counter (membercard.web.views.counter_card_life.hand_back),
its receipts, and the recovered-cards page (membercard.web.views.stock_recovered). Issue #16:
keychain100 sold at S01 for 110.00 (100.00 value + 10.00 deposit), spent, swiped again."""

from __future__ import annotations

import re

import pytest

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.cards.models import Card, ValueOnHandBack
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations.hand_back import hand_back_card
from tests import factories as f
from tests.ledger.helpers import pay
from tests.web.test_counter_helpers import HTMX, element, key_in, seller
from tests.web.test_counter_ops import link, receipt_id

pytestmark = pytest.mark.django_db


def keychain(**policy):
    return f.product(
        rechargeable=False, face_values=[10_000], deposit_minor=1_000, name="Keychain 100", **policy
    )


@pytest.fixture
def cashier(client_for):
    f.hq()
    return client_for(Role.STORE_CASHIER)


@pytest.fixture
def manager(client_for):
    f.hq()
    return client_for(Role.STORE_MANAGER)


def spent_keychain(**policy) -> Card:
    card = f.sold_card(seller(), keychain(**policy), 10_000)
    pay(seller(), card, 10_000)
    return card


def test_the_sale_receipt_shows_the_deposit_as_its_own_line(cashier):
    card = f.sold_card(seller(), keychain(), 10_000)
    sale = Operation.objects.get(card=card, kind=OperationKind.CARD_SALE)
    page = cashier.get(f"/counter/receipts/{sale.pk}/")
    assert element(page.content, "receipt-net") == "110.00 CNY"
    assert element(page.content, "receipt-initial-value") == "100.00 CNY"
    assert element(page.content, "receipt-deposit") == "10.00 CNY"


def test_the_panel_offers_hand_back_for_a_one_time_card_only(cashier):
    spent = spent_keychain()
    panel = cashier.post("/counter/card/", {"card": spent.number}, headers=HTMX)
    assert b'id="hand-back-link"' in panel.content
    rechargeable = f.sold_card(seller(), f.product(), 5_000)
    panel = cashier.post("/counter/card/", {"card": rechargeable.number}, headers=HTMX)
    assert b'id="hand-back-link"' not in panel.content


def test_a_cashier_hands_a_spent_card_back_and_prints_the_receipt(cashier):
    # Given the spent keychain card swiped at the counter
    card = spent_keychain()
    page = cashier.get(link(cashier, card, "hand-back-link"))
    assert page.status_code == 200
    assert b'name="tender"' in page.content
    assert b'name="fit_to_sell"' not in page.content  # a cashier does not restock
    # When the cashier takes it back, paying the deposit in cash
    response = cashier.post(
        "/counter/hand-back/",
        {
            "card": card.number,
            "tender": "cash",
            "idempotency_key": key_in(page.content),
            "read_as": "swiped",  # carried from the swipe, as the panel's link does
        },
    )
    # Then the receipt shows the deposit refunded as its own line, paid back in cash
    operation = Operation.objects.get(pk=receipt_id(response))
    assert operation.read_as == "swiped"
    receipt = cashier.get(f"/counter/receipts/{operation.pk}/")
    assert element(receipt.content, "receipt-deposit-refunded") == "10.00 CNY"
    assert b'id="receipt-value-paid-out"' not in receipt.content
    assert element(receipt.content, "receipt-tender") == "Cash"
    # And the card waits at the store to be checked
    card.refresh_from_db()
    assert card.state == CardState.RECOVERED


def test_value_left_is_refused_on_the_form(cashier):
    card = f.sold_card(seller(), keychain(), 10_000)
    pay(seller(), card, 3_000)
    page = cashier.get(link(cashier, card, "hand-back-link"))
    assert "spends it first" in page.content.decode()
    response = cashier.post(
        "/counter/hand-back/", {"card": card.number, "tender": "cash", "idempotency_key": f.key()}
    )
    assert response.status_code == 422
    assert "spend it to zero first" in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == CardState.ACTIVE


def test_value_paid_out_is_its_own_receipt_line_and_a_fit_card_goes_to_stock(manager):
    card = f.sold_card(seller(), keychain(value_on_hand_back=ValueOnHandBack.PAY_OUT), 10_000)
    pay(seller(), card, 7_500)
    page = manager.get(link(manager, card, "hand-back-link"))
    assert b'name="fit_to_sell"' in page.content
    response = manager.post(
        "/counter/hand-back/",
        {
            "card": card.number,
            "tender": "mobile_pay",
            "fit_to_sell": "on",
            "idempotency_key": key_in(page.content),
        },
    )
    receipt = manager.get(f"/counter/receipts/{receipt_id(response)}/")
    assert element(receipt.content, "receipt-deposit-refunded") == "10.00 CNY"
    assert element(receipt.content, "receipt-value-paid-out") == "25.00 CNY"
    assert element(receipt.content, "receipt-net") == "35.00 CNY"
    card.refresh_from_db()
    assert (card.state, card.location.code) == (CardState.IN_STOCK, "S01")


# The recovered-cards page ------------------------------------------------------------------


def recovered_here() -> Card:
    card = spent_keychain()
    hand_back_card(actor=seller(), card_number=card.number, idempotency_key=f.key())
    return card


def test_a_store_manager_restocks_a_recovered_card(manager):
    card = recovered_here()
    page = manager.get("/stock/recovered/")
    assert card.number in page.content.decode()
    assert b"void-form" not in page.content  # a store sends unfit cards back to HQ
    response = manager.post("/stock/recovered/restock/", {"card": card.pk})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.state == CardState.IN_STOCK
    assert card.number not in manager.get("/stock/recovered/").content.decode()


def test_another_stores_recovered_card_is_not_listed_nor_restocked(client_for):
    card = recovered_here()
    other = client_for(Role.STORE_MANAGER, f.store("S02"))
    assert card.number not in other.get("/stock/recovered/").content.decode()
    response = other.post("/stock/recovered/restock/", {"card": card.pk}, follow=True)
    assert "not waiting to be checked here" in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == CardState.RECOVERED


def test_hq_voids_a_recovered_card_under_four_eyes(client_for):
    # Given a card handed back at HQ (HQ admin may take cards back anywhere)
    admin = f.actor(Role.HQ_ADMIN, f.hq())
    card = f.sold_card(seller(), keychain(), 10_000)
    pay(seller(), card, 10_000)
    hand_back_card(actor=admin, card_number=card.number, idempotency_key=f.key())
    stock = client_for(Role.HQ_STOCK, f.hq())
    page = stock.get("/stock/recovered/").content.decode()
    assert card.number in page and "void-form" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    # When the stock keeper asks to void it
    response = stock.post(
        "/stock/recovered/void/", {"card": card.pk, "reason": "worn", "idempotency_key": key}
    )
    # Then a void request waits for someone else; the card is not void yet
    request = ApprovalRequest.objects.get(kind=RequestKind.CARD_VOID)
    assert response["Location"] == f"/approvals/{request.pk}/"
    assert request.payload["numbers"] == [card.number]
    assert Card.objects.get(pk=card.pk).state == CardState.RECOVERED
