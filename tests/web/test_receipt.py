"""The 80 mm receipt page (membercard.web.views.counter_receipt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import purchase
from tests import factories as f
from tests.loyalty.helpers import tiered_product
from tests.web.test_counter_helpers import element, seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid():
    """A purchase at S01 on a tiered card: 100.00 on the card, 12.00 bought at 5 % off."""
    f.hq()
    card = f.sold_card(seller(), tiered_product(), value_minor=10_000)
    operation = purchase(
        actor=seller(), card_number=card.number, amount_minor=1_200, idempotency_key=f.key()
    )
    return operation


def test_receipt_shows_what_the_customer_needs(client_for, paid):
    response = client_for(Role.STORE_CASHIER).get(f"/counter/receipts/{paid.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="receipt"' in html
    assert element(response.content, "receipt-number") == paid.receipt_number
    assert element(response.content, "receipt-store-code") == "S01"
    assert element(response.content, "receipt-card") == paid.card.masked_number
    assert paid.card.number not in html
    assert element(response.content, "receipt-gross") == "12.00 CNY"
    assert element(response.content, "receipt-discount") == "-0.60 CNY"
    assert element(response.content, "receipt-net") == "11.40 CNY"
    assert element(response.content, "receipt-from-balance") == "11.40 CNY"
    assert element(response.content, "receipt-balance-after") == "88.60 CNY"
    assert element(response.content, "receipt-points-earned") == "11"
    assert element(response.content, "receipt-points-after") == "11"
    assert element(response.content, "receipt-cashier") == paid.staff.username
    # Print button: app.js prints on data-print (no inline onclick under the CSP).
    assert 'id="print-receipt" class="primary big" data-print' in html
    assert 'id="next-customer" href="/counter/"' in html
    assert "web/receipt.css" in html


def test_receipt_balance_is_the_one_after_that_operation(client_for, paid):
    purchase(
        actor=seller(), card_number=paid.card.number, amount_minor=500, idempotency_key=f.key()
    )
    response = client_for(Role.STORE_CASHIER).get(f"/counter/receipts/{paid.pk}/")
    assert element(response.content, "receipt-balance-after") == "88.60 CNY"


def test_receipt_of_a_sale(client_for, paid):
    sale = Operation.objects.get(kind=OperationKind.CARD_SALE)
    response = client_for(Role.STORE_CASHIER).get(f"/counter/receipts/{sale.pk}/")
    assert element(response.content, "receipt-balance-after") == "100.00 CNY"
    assert element(response.content, "receipt-tender") == "Cash"


def test_another_store_may_not_open_the_receipt_but_hq_may(client_for, paid):
    other = client_for(Role.STORE_MANAGER, f.store("S02"))
    assert other.get(f"/counter/receipts/{paid.pk}/").status_code == 404
    assert client_for(Role.HQ_FINANCE).get(f"/counter/receipts/{paid.pk}/").status_code == 200
    assert client_for(Role.STORE_CASHIER).get("/counter/receipts/999999/").status_code == 404


def test_receipt_print_css_is_80_mm():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("web/receipt.css")).read_text()
    assert "@page { size: 80mm auto; margin: 0 }" in css
    assert ".topbar" in css.split("@media print")[1]
