"""A customer without the card, in a real browser: the cashier finds the member's card by
mobile at the counter, freezes it and replaces it with a card from the store's stock,
without the lost card's number ever on a page.

DOM contract: the counter's ``#find-link``, the search form (``find-mobile``,
``#find-submit``), a result row ``.found-card`` with ``.found-freeze``, the freeze page's
``#freeze-submit`` and the replace page's ``new_card`` field and ``#replace-submit``.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.browser.helpers import sign_in, staff

MOBILE = "13700001234"


def test_find_by_mobile_freeze_and_replace_at_the_counter(page):
    s01 = f.store()
    seller = f.actor(Role.STORE_MANAGER, s01)
    lost = f.sold_card(
        seller, f.product(name="Value card"), 8_800, member_name="Han Meimei", member_mobile=MOBILE
    )
    new = f.stock_card(lost.product, s01)
    cashier = staff(Role.STORE_CASHIER, s01)
    sign_in(page, cashier)
    seen: list[str] = []

    page.goto("/counter/")
    page.click("#find-link")
    expect(page).to_have_url(re.compile(r"/counter/find/$"))
    page.fill("input[name=find-mobile]", "137 0000 1234")
    page.click("#find-submit")
    row = page.locator(".found-card")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Han Meimei")
    expect(row).to_contain_text(lost.number[-4:])
    expect(row).to_contain_text("Active")
    seen.append(page.content())

    row.locator(".found-freeze").click()
    expect(page.locator("h1")).to_contain_text("freeze")
    seen.append(page.content())
    page.fill("input[name=reason]", "lost on the bus")
    page.click("#freeze-submit")

    expect(page).to_have_url(re.compile(r"/counter/replace/\?found="))
    expect(page.locator("body")).to_contain_text("Card frozen")
    assert Card.objects.get(pk=lost.pk).state == CardState.FROZEN
    seen.append(page.content())
    page.fill("input[name=new_card]", new.number)
    page.click("#replace-submit")

    expect(page).to_have_url(re.compile(r"/counter/receipts/\d+/$"))
    expect(page.locator(".receipt")).to_contain_text(lost.number[-4:])
    seen.append(page.content())
    assert Card.objects.get(pk=lost.pk).state == CardState.REPLACED
    assert Card.objects.get(pk=new.pk).state == CardState.ACTIVE
    assert f.balances(new)[0] == 8_800
    assert Operation.objects.filter(kind=OperationKind.CARD_REPLACEMENT, card=lost).exists()
    assert all(lost.number not in html for html in seen), "the lost card's number was shown"
