"""A one-time card handed back at the counter, in a real browser (issue #16): keychain100
sold at S01 for 110.00 (100.00 value + 10.00 deposit), spent, swiped again; the manager
takes it back, pays the deposit in cash, says it is fit to sell, and prints the receipt.

DOM contract: the panel's ``#hand-back-link``, the hand-back page's ``tender`` choice,
``fit_to_sell`` checkbox and ``#hand-back-submit``; the receipt's
``#receipt-deposit-refunded``.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.browser.helpers import sign_in, staff, swipe
from tests.ledger.helpers import pay


def test_a_manager_takes_a_spent_keychain_card_back_at_the_counter(page):
    s01 = f.store()
    seller = f.actor(Role.STORE_MANAGER, s01)
    product = f.product(
        name="Keychain 100", rechargeable=False, face_values=[10_000], deposit_minor=1_000
    )
    card = f.sold_card(seller, product, 10_000)
    pay(seller, card, 10_000)
    manager = staff(Role.STORE_MANAGER, s01)
    sign_in(page, manager)

    page.goto("/counter/")
    swipe(page, card)
    expect(page.locator("#card-panel #balance")).to_contain_text("0.00")
    page.click("#hand-back-link")
    expect(page).to_have_url(re.compile(r"/counter/hand-back/\?ref="))
    page.select_option("select[name=tender]", "cash")
    page.check("input[name=fit_to_sell]")
    page.click("#hand-back-submit")

    expect(page).to_have_url(re.compile(r"/counter/receipts/\d+/$"))
    expect(page.locator("#receipt-kind")).to_contain_text("recovered")
    expect(page.locator("#receipt-deposit-refunded")).to_contain_text("10.00")
    expect(page.locator("#receipt-tender")).to_contain_text("Cash")
    assert card.number not in page.content()
    operation = Operation.objects.get(kind=OperationKind.CARD_RECOVERY)
    assert operation.staff_id == manager.pk
    assert Card.objects.get(pk=card.pk).state == CardState.IN_STOCK
