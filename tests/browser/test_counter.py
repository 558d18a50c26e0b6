"""The counter in a real browser, driven like a till: a reader types the card's Track 2,
the cashier keys the amount and presses Enter twice, nothing needs the mouse.

Written against the counter's DOM contract: ``#card-input`` (always focused), the card
panel (``#balance``, ``#amount-input``, ``#purchase-preview``, ``#confirm-purchase``,
``#receipt-link``), the receipt's ``.receipt`` and the sale page's ``#sell-submit``.
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.timezone import localtime
from playwright.sync_api import expect

from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.browser.helpers import Keyboard, log_in, sign_in, staff, swipe, wait_for_focus

CJK = re.compile(r"[\u4e00-\u9fff]")


def value_card(value_minor: int = 10_000):
    """A stored-value card sold at S01 with ``value_minor`` on it, no PIN, no discount."""
    seller = f.actor(Role.STORE_MANAGER, f.store())
    return f.sold_card(seller, f.product(name="Value card"), value_minor)


def test_cashier_swipes_pays_with_the_keyboard_and_prints_the_receipt(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = value_card(10_000)

    log_in(page, cashier)
    expect(page).to_have_url(re.compile(r"/counter/$"))  # store staff land on the counter
    swipe(page, card)

    expect(page.locator("#card-panel #balance")).to_contain_text("100.00")
    expect(page.locator("#card-state")).to_be_visible()
    wait_for_focus(page, "amount-input")
    page.keyboard.type("12.50")
    page.keyboard.press("Enter")
    preview = page.locator("#purchase-preview")
    expect(preview).to_contain_text("12.50")
    expect(preview).to_contain_text("87.50")  # balance after
    wait_for_focus(page, "confirm-purchase")
    assert f.balances(card)[0] == 10_000, "the preview must not charge anything"
    page.keyboard.press("Enter")

    expect(page.locator("#balance")).to_contain_text("87.50")
    wait_for_focus(page, "card-input")  # ready for the next customer's swipe
    assert f.balances(card)[0] == 8_750
    purchase = Operation.objects.get(kind=OperationKind.PURCHASE, card=card)
    assert purchase.staff_id == cashier.pk

    page.goto(page.locator("#receipt-link").get_attribute("href"))
    receipt = page.locator(".receipt")
    expect(receipt).to_contain_text(card.masked_number[-4:])
    expect(receipt).to_contain_text("12.50")
    expect(receipt).to_contain_text("87.50")
    expect(receipt).to_contain_text(str(cashier))
    expect(receipt).to_contain_text(cashier.location.name)
    expect(receipt).to_contain_text(purchase.receipt_number)
    expect(receipt).to_contain_text(localtime(purchase.created_at).strftime("%Y-%m-%d %H:%M"))
    assert card.number not in receipt.inner_text(), "the receipt shows the number masked"


def test_a_purchase_needs_at_most_the_amount_plus_two_key_presses(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = value_card(5_000)
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))
    swipe(page, card)
    expect(page.locator("#balance")).to_contain_text("50.00")

    amount = "7.30"
    keys = Keyboard(page)
    wait_for_focus(page, "amount-input")  # no click, no Tab: the panel focuses the amount
    keys.type(amount)
    keys.press("Enter")
    wait_for_focus(page, "confirm-purchase")
    keys.press("Enter")
    expect(page.locator("#balance")).to_contain_text("42.70")

    assert keys.count <= len(amount) + 2, f"{keys.count} key presses: {keys.presses}"
    assert f.balances(card)[0] == 5_000 - 730


def test_a_swipe_is_posted_and_no_card_number_is_in_any_address(page):
    """The card field is posted (a URL ends up in access logs, and a swipe may be a bank
    card's track); the panel's links, a sale's page and the way back name the card by a
    handle."""
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = f.sold_card(
        f.actor(Role.STORE_MANAGER, f.store()), f.product(stores_may_top_up=True), 10_000
    )
    sign_in(page, cashier)
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.goto(reverse("web:counter"))
    swipe(page, card)
    expect(page.locator("#balance")).to_contain_text("100.00")
    page.click("#topup-link")
    expect(page.locator("main")).to_contain_text(card.masked_number)
    page.click("#back-to-counter")
    expect(page.locator("#balance")).to_contain_text("100.00")

    look_ups = [method for method, url in requests if "/counter/card/" in url]
    assert look_ups == ["POST"]
    digits = card.number
    assert not [url for _, url in requests if digits in url or "card=" in url], requests


def test_a_wrong_swipe_shows_an_error_and_keeps_the_field_ready(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))
    wait_for_focus(page, "card-input")
    page.keyboard.type(";1234567890123=3012?")  # wrong check digit
    page.keyboard.press("Enter")
    expect(page.locator("#card-error")).to_contain_text(re.compile(r"\S"))
    wait_for_focus(page, "card-input")


def test_cashier_sells_a_card_from_store_stock(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    product = f.product(name="Value card")
    card = f.stock_card(product, cashier.location)
    sign_in(page, cashier)

    page.goto(reverse("web:counter-sell"))
    page.fill("[name=card]", card.number)
    value = page.locator("[name=initial_value]")
    if value.evaluate("el => el.tagName") == "SELECT":
        value.select_option(label=re.compile(r"50\.00"))
    else:
        value.fill("50.00")
    tender = page.locator("[name=tender]")
    if tender.first.evaluate("el => el.tagName") == "SELECT":
        tender.select_option("cash")
    else:
        page.check("[name=tender][value=cash]")
    page.click("#sell-submit")

    expect(page.locator("main")).to_contain_text("50.00")
    card.refresh_from_db()
    assert card.state == CardState.ACTIVE
    assert card.sold_at_id == cashier.location_id
    assert f.balances(card)[0] == 5_000


def test_a_cashier_is_refused_hq_pages_and_actions(page):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = value_card(10_000)
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))

    menu = page.locator("nav.menu")
    expect(menu).to_contain_text("Counter")
    expect(menu).not_to_contain_text("Card products")
    expect(menu).not_to_contain_text("Staff")

    response = page.goto(reverse("web:products"))
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("may not open this page")

    # HQ's top-up, posted by hand from the cashier's signed-in browser (with the CSRF token).
    page.goto(reverse("web:counter"))
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        reverse("web:card-top-up", kwargs={"number": card.number}),
        form={"amount": "500.00", "tender": "cash", "idempotency_key": f.key()},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert refused.status == 403
    assert "may not open this page" in refused.text()  # the role check, not the CSRF check
    assert f.balances(card)[0] == 10_000


def test_the_chinese_counter_shows_chinese_labels(page):
    """Labels a cashier reads at the counter, in the staff member's language (msgids:
    "Swipe, tap or scan the card, or type its number", "Card", "Counter", "Balance",
    "Purchase amount", "Confirm %(net)s")."""
    cashier = staff(Role.STORE_CASHIER, f.store(), language="zh-hans")
    card = value_card(10_000)
    sign_in(page, cashier)
    page.goto(reverse("web:counter"))

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    chinese = {
        "card field label": page.locator("label[for=card-input]").inner_text(),
        "card field placeholder": page.locator("#card-input").get_attribute("placeholder"),
        "menu": page.locator("nav.menu").inner_text(),
    }
    swipe(page, card)
    expect(page.locator("#balance")).to_contain_text("100.00")
    chinese["balance label"] = page.locator(".figure", has=page.locator("#balance")).inner_text()
    chinese["amount label"] = page.locator("label[for=amount-input]").inner_text()
    wait_for_focus(page, "amount-input")
    page.keyboard.type("1.00")
    page.keyboard.press("Enter")
    wait_for_focus(page, "confirm-purchase")
    chinese["confirm button"] = page.locator("#confirm-purchase").inner_text()

    english = {what: text for what, text in chinese.items() if not CJK.search(text or "")}
    assert not english, f"not translated: {english}"
