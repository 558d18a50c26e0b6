"""Paying part of a purchase with points at the counter, in a real browser (issue #16): the
cashier swipes, keys the amount, Tab, the points, Enter shows what the points pay, Enter
confirms; the receipt shows the points and what they paid.

Written against the counter's DOM contract (``tests/browser/test_counter.py``) plus the
points field ``#points-input`` and the preview's ``#preview-points-used`` and
``#preview-points-off``."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import purchase
from tests import factories as f
from tests.browser.helpers import Keyboard, sign_in, staff, swipe, wait_for_focus
from tests.loyalty.helpers import points_product


def points_card():
    """A card at S01 with 100.00 and 300 points; 100 points pay 1.00."""
    seller = f.actor(Role.STORE_MANAGER, f.store())
    product = points_product({"conversion_points": 100, "conversion_value_minor": 100})
    card = f.sold_card(seller, product, 40_000)
    purchase(actor=seller, card_number=card.number, amount_minor=30_000, idempotency_key=f.key())
    assert f.balances(card) == (10_000, 0, 300)
    return card


def test_cashier_pays_part_of_a_purchase_with_points(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = points_card()
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))
    swipe(page, card)
    expect(page.locator("#points")).to_contain_text("300")
    expect(page.locator("#points-help")).to_contain_text("300 points usable")

    keys = Keyboard(page)
    wait_for_focus(page, "amount-input")
    keys.type("10.00")
    keys.press("Tab")
    wait_for_focus(page, "points-input")
    keys.type("250")
    keys.press("Enter")

    preview = page.locator("#purchase-preview")
    expect(preview.locator("#preview-points-used")).to_have_text("250")
    expect(preview.locator("#preview-points-off")).to_contain_text("2.50")
    expect(preview.locator("#preview-net")).to_contain_text("7.50")
    wait_for_focus(page, "confirm-purchase")
    assert f.balances(card) == (10_000, 0, 300), "the preview must not charge anything"
    keys.press("Enter")

    expect(page.locator("#balance")).to_contain_text("92.50")
    wait_for_focus(page, "card-input")
    bought = Operation.objects.get(card=card, kind=OperationKind.PURCHASE, staff=cashier)
    assert bought.details["points_redeemed"] == 250
    assert bought.read_as == "swiped"
    assert f.balances(card) == (9_250, 0, 300 - 250 + 7)

    page.goto(page.locator("#receipt-link").get_attribute("href"))
    receipt = page.locator(".receipt")
    expect(receipt.locator("#receipt-points-used")).to_have_text("250")
    expect(receipt.locator("#receipt-points-off")).to_contain_text("2.50")


def test_too_many_points_are_refused_in_the_preview_and_nothing_is_charged(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = points_card()
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))
    swipe(page, card)

    wait_for_focus(page, "amount-input")
    page.keyboard.type("10.00")
    page.keyboard.press("Tab")
    wait_for_focus(page, "points-input")
    page.keyboard.type("301")
    page.keyboard.press("Enter")

    expect(page.locator("#purchase-preview")).to_contain_text("not have enough points")
    expect(page.locator("#confirm-purchase")).to_have_count(0)
    assert f.balances(card) == (10_000, 0, 300)
