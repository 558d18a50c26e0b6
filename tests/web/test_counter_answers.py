"""What the web counter keeps and says (issue #16, "At the counter"): how the card was read
on every operation made from the panel, the PIN for a gift on a PIN card, how many PIN
tries are left and until when a PIN is locked, amounts typed with thousands separators,
and refusals that say what the cashier can do."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from membercard.cards.models import Card
from membercard.cards.pins import PIN_MAX_FAILURES
from membercard.cards.reader import track2
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import purchase
from membercard.web.forms.amounts import parse_amount
from tests import factories as f
from tests.ledger.helpers import unchanged
from tests.loyalty.gift_helpers import new_gift, stocked
from tests.loyalty.helpers import on_day, points_product
from tests.web.test_counter_helpers import HTMX, key_in, seller
from tests.web.test_translations import signed_in as signed_in_speaking
from tests.web.test_translations import visible_text

pytestmark = pytest.mark.django_db

CARD_ERRORS = {**HTMX, "X-Error-Target": "#card-error"}


@pytest.fixture
def cashier(client_for):
    f.hq()
    return client_for(Role.STORE_CASHIER)


def swiped_link(client, card, link_id: str) -> str:
    """The panel's link ``link_id`` after the card was swiped (its Track 2 read)."""
    panel = client.post("/counter/card/", {"card": track2(card.number)}, headers=HTMX)
    match = re.search(rf'id="{link_id}" href="([^"]+)"', panel.content.decode())
    assert match, f"no #{link_id} on the panel"
    return html.unescape(match.group(1))


def receipt(response) -> Operation:
    assert response.status_code == 302, response.content[:2000]
    return Operation.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def form_data(page, **data) -> dict:
    """What the page's form posts back: its hidden fields and ``data``."""
    text = page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))
    hidden.pop("csrfmiddlewaretoken", None)
    return {**hidden, **data}


# How the card was read -------------------------------------------------------------------------


def test_a_top_up_from_the_panel_keeps_that_the_card_was_swiped(cashier):
    card = f.sold_card(seller(), f.product(stores_may_top_up=True), value_minor=1_000)
    page = cashier.get(swiped_link(cashier, card, "topup-link"))
    topped = receipt(cashier.post("/counter/top-up/", form_data(page, amount="20", tender="cash")))
    assert (topped.kind, topped.read_as) == (OperationKind.TOP_UP, "swiped")


def test_a_gift_and_a_freeze_from_the_panel_keep_how_the_card_was_read(cashier):
    card = f.sold_card(seller(), points_product(), value_minor=50_000)
    purchase(actor=seller(), card_number=card.number, amount_minor=30_000, idempotency_key=f.key())
    stocked(new_gift("MUG", 100, "Mug"), {f.store(): 3})
    page = cashier.get(swiped_link(cashier, card, "gift-link"))
    gift = receipt(cashier.post("/counter/gift/", form_data(page, gift="MUG", quantity="1")))
    assert (gift.kind, gift.read_as) == (OperationKind.GIFT_REDEMPTION, "swiped")

    page = cashier.get(swiped_link(cashier, card, "freeze-link"))
    frozen = receipt(cashier.post("/counter/freeze/", form_data(page, reason="lost")))
    assert (frozen.kind, frozen.read_as) == (OperationKind.CARD_FROZEN, "swiped")


def test_a_replacement_keeps_how_the_new_card_was_read(cashier):
    card = f.sold_card(seller(), value_minor=7_000)
    new = f.stock_card(card.product, f.store())
    replaced = receipt(
        cashier.post(
            "/counter/replace/",
            {"card": card.number, "new_card": track2(new.number), "idempotency_key": f.key()},
        )
    )
    assert (replaced.kind, replaced.read_as) == (OperationKind.CARD_REPLACEMENT, "swiped")


# The PIN ----------------------------------------------------------------------------------------


@pytest.fixture
def pin_card():
    """A PIN card (PIN 4321) with 300 points, and a mug for 100 points in stock at S01."""
    card = f.sold_card(seller(), points_product(pin_required=True), 50_000, pin="4321")
    purchase(
        actor=seller(), card_number=card.number, amount_minor=30_000, idempotency_key=f.key(),
        pin="4321",
    )  # fmt: skip
    stocked(new_gift("MUG", 100, "Mug"), {f.store(): 3})
    return card


def test_a_gift_on_a_pin_card_asks_for_the_pin(cashier, pin_card):
    page = cashier.get(swiped_link(cashier, pin_card, "gift-link"))
    assert 'name="pin"' in page.content.decode()
    with unchanged(pin_card):
        wrong = cashier.post("/counter/gift/", form_data(page, gift="MUG", quantity="1", pin="0"))
    assert wrong.status_code == 422
    assert f"{PIN_MAX_FAILURES - 1} more tries" in visible_text(wrong)
    assert Card.objects.get(pk=pin_card.pk).pin_failures == 1

    right = cashier.post("/counter/gift/", form_data(wrong, gift="MUG", quantity="1", pin="4321"))
    assert receipt(right).kind == OperationKind.GIFT_REDEMPTION
    assert f.balances(pin_card)[2] == 200


def test_a_gift_on_a_card_without_a_pin_asks_for_none(cashier):
    card = f.sold_card(seller(), points_product(), value_minor=1_000)
    page = cashier.get(swiped_link(cashier, card, "gift-link"))
    assert 'name="pin"' not in page.content.decode()


def test_a_locked_pin_says_until_when_in_chinese(pin_card):
    cashier = signed_in_speaking(Role.STORE_CASHIER, "zh-hans")
    until = timezone.now() + dt.timedelta(hours=5)
    Card.objects.filter(pk=pin_card.pk).update(pin_locked_until=until)
    data = {"card": pin_card.number, "amount": "1.00", "idempotency_key": f.key(), "pin": "4321"}
    with unchanged(pin_card):
        response = cashier.post(
            "/counter/purchase/", data, headers={**HTMX, "X-Error-Target": "#purchase-preview"}
        )
    assert response.status_code == 422
    text = visible_text(response)
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in text
    assert "锁定" in text and "locked" not in text


# Amounts ----------------------------------------------------------------------------------------


def test_an_amount_with_a_thousands_separator_is_taken(cashier):
    card = f.stock_card(f.product(), f.store())
    data = {"card": card.number, "tender": "cash", "idempotency_key": f.key()}
    sold = receipt(cashier.post("/counter/sell/", {**data, "initial_value": "1,000"}))
    assert sold.details["initial_value_minor"] == 100_000


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("1,000", 100_000), ("1,000.50", 100_050), ("12,345.5", 1_234_550), ("1000.5", 100_050)],
)
def test_thousands_separators_in_whole_groups_are_read(typed, minor):
    assert parse_amount(typed) == minor


@pytest.mark.parametrize("typed", ["1,00", "12,5", "1,0000", "1,000,0", "1,00.5"])
def test_any_other_comma_is_refused_as_unclear(typed):
    with pytest.raises(ValidationError) as refused:
        parse_amount(typed)
    assert refused.value.code == "ambiguous"


def test_an_ambiguous_comma_is_refused_saying_how_to_type_it(cashier):
    card = f.stock_card(f.product(), f.store())
    data = {"card": card.number, "tender": "cash", "idempotency_key": f.key()}
    response = cashier.post("/counter/sell/", {**data, "initial_value": "1,00"})
    assert response.status_code == 422
    text = visible_text(response)
    assert "use a dot for decimals" in text
    assert "decimals." not in text.replace("for decimals", "")  # not "At most 2 decimals."
    assert not Operation.objects.exists()


# Refusals that help ------------------------------------------------------------------------------


def test_another_stores_card_in_a_customers_hands_opens_at_this_counter(cashier):
    other = f.sold_card(f.actor(Role.STORE_MANAGER, f.store("S02")), value_minor=3_000)
    response = cashier.post("/counter/card/", {"card": other.number}, headers=CARD_ERRORS)
    assert response.status_code == 200
    assert 'id="purchase-form"' in response.content.decode()


def test_every_miss_says_the_same_helpful_thing(cashier):
    """No card, or a card on another store's shelf: one answer (no oracle), which says
    what to do."""
    from tests.api.conftest import unused_number

    product = f.product()
    on_other_shelf = f.stock_card(product, f.store("S02"))
    answers = [
        cashier.post("/counter/card/", {"card": number}, headers=CARD_ERRORS)
        for number in (on_other_shelf.number, unused_number(product))
    ]
    assert [a.status_code for a in answers] == [404, 404]
    texts = [visible_text(a) for a in answers]
    assert texts[0] == texts[1]
    assert "check the number" in texts[0]
    assert "served there or by HQ" in texts[0]


def test_a_past_days_purchase_says_refund_it_not_ask_a_manager(client_for):
    f.hq()
    manager = client_for(Role.STORE_MANAGER)
    card = f.sold_card(seller(), value_minor=10_000)
    with on_day(today() - dt.timedelta(days=1)):
        old = purchase(
            actor=seller(), card_number=card.number, amount_minor=1_000, idempotency_key=f.key()
        )
    page = manager.get("/counter/reverse/", {"operation": old.pk})
    with unchanged(card):
        response = manager.post(
            "/counter/reverse/", {"operation": old.pk, "idempotency_key": key_in(page.content)}
        )
    assert response.status_code == 422
    text = visible_text(response)
    assert "Refund it instead" in text
    assert "Only a manager" not in text
