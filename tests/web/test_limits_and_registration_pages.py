"""Through the staff pages: HQ's adjustment is held to the prepaid limit (the incident:
+5 000.00 on a registered card holding 798.50), and the counter's register-member page
registers and links in one transaction, so a refused link leaves no member."""

from __future__ import annotations

import re

import pytest

from membercard.core.models import Role
from membercard.ledger.models import OperationKind
from membercard.loyalty.models import Member
from tests import factories as f
from tests.web.test_card_pages import form_key, url
from tests.web.test_counter_helpers import seller

pytestmark = pytest.mark.django_db


def test_the_adjustment_page_refuses_to_pass_the_registered_limit(client_for):
    member = Member.objects.create(name="Zhou Min", mobile="13500000001")
    card = f.sold_card(seller(), value_minor=79_850, member=member)
    client = client_for(Role.HQ_FINANCE)
    key = form_key(client.get(url(card)).content, "adjust")
    data = {"bucket": "principal", "amount": "5000.00", "reason": "Goodwill"}
    data["idempotency_key"] = key
    response = client.post(url(card, "adjust"), data)
    assert response.status_code == 422
    assert re.search(r"5,000\.00.*4,201\.50", response.content.decode(), re.S)
    assert not card.operations.filter(kind=OperationKind.ADJUSTMENT).exists()
    assert f.balances(card)[:2] == (79_850, 0)


def test_a_refused_link_on_the_register_page_leaves_no_member(client_for):
    f.hq()
    cashier = client_for(Role.STORE_CASHIER)
    # A card still on this store's shelf: the counter sees it, but it is not the customer's
    card = f.stock_card(f.product(), f.store())
    response = cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang", "mobile": "13900139000"}
    )
    assert response.status_code == 422
    assert "in a customer" in response.content.decode()  # the refusal shown on the form
    assert not Member.objects.exists()
    card.refresh_from_db()
    assert card.member is None


def test_the_register_page_registers_and_links(client_for):
    f.hq()
    cashier = client_for(Role.STORE_CASHIER)
    card = f.sold_card(seller())
    response = cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang", "mobile": "13900139000"}
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.member == Member.objects.get(mobile="13900139000")
