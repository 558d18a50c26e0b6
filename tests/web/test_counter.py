"""The counter page: card look-up into the panel, purchase preview and confirm
(membercard.web.views.counter)."""

from __future__ import annotations

import re

import pytest

from membercard.cards.reader import barcode_value, track1, track2
from membercard.core.models import Role
from membercard.ledger.models import IdempotencyRecord, Operation, OperationKind
from membercard.operations.card_life import freeze_card
from tests import factories as f
from tests.loyalty.helpers import tiered_product
from tests.web.test_counter_helpers import HTMX, element, key_in, seller

pytestmark = pytest.mark.django_db

CARD_ERRORS = {"X-Error-Target": "#card-error"}
PREVIEW_ERRORS = {"X-Error-Target": "#purchase-preview"}


@pytest.fixture
def cashier(client_for):
    f.hq()
    return client_for(Role.STORE_CASHIER)


@pytest.fixture
def card():
    return f.sold_card(seller(), value_minor=10_000)


def look(client, raw):
    # What htmx sends for #card-form (its hx-headers name the error target).
    return client.post("/counter/card/", {"card": raw}, headers={**HTMX, **CARD_ERRORS})


def quote(client, card, amount, key=None):
    data = {"card": card.number, "amount": amount, "idempotency_key": key or f.key()}
    return client.post("/counter/quote/", data, headers={**HTMX, **PREVIEW_ERRORS})


def confirm(client, card, amount, key, **extra):
    data = {"card": card.number, "amount": amount, "idempotency_key": key, **extra}
    return client.post("/counter/purchase/", data, headers={**HTMX, **PREVIEW_ERRORS})


# The page and the card field -----------------------------------------------------------------


def test_counter_page_has_the_always_focused_card_field(cashier):
    response = cashier.get("/counter/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="card-form"' in html and 'id="card-panel"' in html
    field = html[html.index('id="card-input"') - 10 : html.index('id="card-input"') + 300]
    assert 'name="card"' in field and 'autocomplete="off"' in field and "autofocus" in field
    assert 'id="card-error" role="alert"' in html
    assert """hx-headers='{"X-Error-Target": "#card-error"}'""" in html
    assert "web/counter.js" in html


@pytest.mark.parametrize("role", [Role.HQ_ADMIN, Role.HQ_FINANCE])
def test_hq_money_roles_open_the_counter_at_hq(client_for, role):
    """The table lets HQ admin and finance sell cards and take payments anywhere: HQ's
    counter is theirs (it sells from HQ's stock)."""
    f.hq()
    client = client_for(role)
    assert client.get("/counter/").status_code == 200
    assert client.get("/counter/sell/").status_code == 200


def test_the_hq_stock_keeper_has_no_counter(client_for):
    """HQ's stock keeping looks cards up on the card pages; it takes no payments."""
    client = client_for(Role.HQ_STOCK)
    assert client.get("/counter/").status_code == 403
    assert client.post("/counter/card/", {"card": "1"}).status_code == 403
    assert client.get("/counter/sell/").status_code == 403


@pytest.mark.parametrize("reader", ["digits", "track1", "track2", "barcode", "uid"])
def test_any_reader_text_opens_the_card_panel(cashier, card, reader):
    card.uid = "00BC614E"
    card.save(update_fields=["uid"])
    raw = {
        "digits": card.number,
        "track1": track1(card.number),
        "track2": track2(card.number),
        "barcode": barcode_value(card.number),
        "uid": "0012345678",
    }[reader]
    response = look(cashier, raw)
    assert response.status_code == 200
    assert element(response.content, "balance") == "100.00 CNY"
    assert element(response.content, "balance-principal") == "100.00 CNY"
    assert element(response.content, "balance-bonus") == "0.00 CNY"
    assert element(response.content, "points") == "0"
    assert 'data-state="active"' in response.content.decode()
    assert 'id="purchase-form"' in response.content.decode()
    assert 'id="amount-input"' in response.content.decode()


def test_panel_shows_member_tier_and_discount(cashier):
    product = tiered_product()
    card = f.sold_card(seller(), product, value_minor=5_000)
    response = look(cashier, card.number)
    assert element(response.content, "member-name") == "Anonymous"
    assert element(response.content, "tier") == "None"
    assert element(response.content, "discount") == "5 %"


def test_wrong_check_digit_goes_to_the_card_error(cashier, card):
    wrong = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    response = look(cashier, wrong)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#card-error"
    assert b'data-code="invalid_card_number"' in response.content
    assert b"check digit" in response.content


def test_unknown_card_and_bank_card_are_refused_clearly(cashier):
    product = f.product()
    from membercard.cards.numbers import generate_number

    unknown = generate_number(product.number_prefix, 16)
    response = look(cashier, unknown)
    assert response.status_code == 404
    assert b'data-code="card_not_found"' in response.content
    bank = look(cashier, "4111111111111111")
    assert bank.status_code == 422
    assert b'data-code="payment_card_refused"' in bank.content
    assert b"4111" not in bank.content


def test_another_stores_stock_is_not_shown(cashier):
    other = f.stock_card(f.product(), f.store("S02"))
    assert look(cashier, other.number).status_code == 404
    here = f.stock_card(f.product(), f.store())
    response = look(cashier, here.number)
    assert response.status_code == 200
    assert b'id="sell-this-card"' in response.content
    assert b'id="purchase-form"' not in response.content


def test_frozen_card_shows_a_warning_and_no_purchase_form(cashier, card):
    freeze_card(actor=seller(), card_number=card.number)
    response = look(cashier, card.number)
    assert b"frozen" in response.content
    assert b'data-state="frozen"' in response.content
    assert b'id="purchase-form"' not in response.content


def test_without_htmx_the_look_up_opens_the_counter_with_the_panel(cashier, card):
    response = cashier.post("/counter/card/", {"card": card.number})
    assert response.status_code == 302
    assert card.number not in response["Location"]
    page = cashier.get(response["Location"])
    assert element(page.content, "balance") == "100.00 CNY"


def test_the_card_field_is_posted_and_a_number_in_the_url_is_never_looked_up(cashier, card):
    html = cashier.get("/counter/").content.decode()
    form = html[html.index('id="card-form"') : html.index('id="card-input"')]
    assert 'method="post"' in form and 'hx-post="/counter/card/"' in form
    assert "hx-get" not in form and 'name="csrfmiddlewaretoken"' in form
    assert cashier.get("/counter/card/", {"card": card.number}, headers=HTMX).status_code == 405
    page = cashier.get("/counter/", {"card": card.number})
    assert page.status_code == 200
    assert b'id="balance"' not in page.content  # ignored: no panel opened


def test_panel_links_name_the_card_by_a_signed_handle_not_its_number(cashier):
    card = f.sold_card(seller(), f.product(stores_may_top_up=True))
    panel = look(cashier, card.number).content.decode()
    links = re.findall(r'href="(/counter/[^"]*)"', panel)
    assert any(link.startswith("/counter/top-up/?ref=") for link in links)
    assert not [link for link in links if card.number in link or "card=" in link]
    forged = cashier.get("/counter/top-up/", {"ref": "1:forged:sig"})
    assert forged.status_code == 404


# Purchase ------------------------------------------------------------------------------------


def test_quote_shows_the_preview_and_the_confirm_form_with_the_same_key(cashier):
    card = f.sold_card(seller(), f.product(has_discount=True, discount_rate_bp=1_000))
    key = key_in(look(cashier, card.number).content, "purchase-form")
    response = quote(cashier, card, "12.50", key)
    assert response.status_code == 200
    assert element(response.content, "preview-discount") == "1.25 CNY"
    assert element(response.content, "preview-net") == "11.25 CNY"
    assert element(response.content, "preview-from-balance") == "11.25 CNY"
    assert element(response.content, "preview-rest") == "0.00 CNY"
    assert element(response.content, "preview-balance-after") == "88.75 CNY"
    assert key_in(response.content, "confirm-form") == key
    assert b'id="confirm-purchase"' in response.content
    # A double Enter sends once: the button is disabled and a second request is dropped.
    confirm_form = response.content.decode().split('id="confirm-form"')[1].split(">")[0]
    assert 'hx-sync="this:drop"' in confirm_form and 'hx-disabled-elt="find button"' in confirm_form
    assert 'hx-post="/counter/purchase/"' in confirm_form
    assert b'id="tender-select"' not in response.content
    assert b'id="pin-input"' not in response.content
    assert Operation.objects.filter(kind=OperationKind.PURCHASE).count() == 0


@pytest.mark.parametrize("amount", ["", "0", "-5", "abc", "1.234", "99999999999", "1e3"])
def test_bad_amounts_get_a_field_error(cashier, card, amount):
    response = quote(cashier, card, amount)
    assert response.status_code == 422
    assert b'class="field-error" data-field="amount"' in response.content
    assert b'id="confirm-purchase"' not in response.content


def test_confirm_takes_the_purchase_and_shows_the_new_balance_and_receipt(cashier, card):
    key = f.key()
    response = confirm(cashier, card, "12.50", key)
    assert response.status_code == 200
    operation = Operation.objects.get(kind=OperationKind.PURCHASE)
    assert (operation.net_minor, operation.staff_id) == (1_250, cashier.staff.pk)
    assert element(response.content, "balance") == "87.50 CNY"
    assert f'href="/counter/receipts/{operation.pk}/"' in response.content.decode()
    assert b'id="receipt-link"' in response.content
    assert f'data-done="{operation.pk}"' in response.content.decode()
    assert f.balances(card)[0] == 8_750
    # The panel after the purchase carries a new key for the next purchase.
    assert key_in(response.content, "purchase-form") != key


def test_replayed_confirm_charges_once_and_answers_the_same_operation(cashier, card):
    key = f.key()
    first = confirm(cashier, card, "12.50", key)
    again = confirm(cashier, card, "12.50", key)
    assert first.status_code == again.status_code == 200
    assert Operation.objects.filter(kind=OperationKind.PURCHASE).count() == 1
    operation = Operation.objects.get(kind=OperationKind.PURCHASE)
    assert f'data-done="{operation.pk}"' in again.content.decode()
    assert f.balances(card)[0] == 8_750
    assert IdempotencyRecord.objects.filter(key=key).count() == 1


def test_same_key_with_another_amount_is_refused_and_charges_nothing_more(cashier, card):
    key = f.key()
    confirm(cashier, card, "12.50", key)
    response = confirm(cashier, card, "13.00", key)
    assert response.status_code == 409
    assert b'data-code="idempotency_conflict"' in response.content
    assert f.balances(card)[0] == 8_750


def test_insufficient_balance_is_refused_and_nothing_changes(cashier, card):
    response = confirm(cashier, card, "150", f.key())
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#purchase-preview"
    assert b'data-code="insufficient_balance"' in response.content
    assert f.balances(card)[0] == 10_000
    assert not Operation.objects.filter(kind=OperationKind.PURCHASE).exists()


def test_short_balance_preview_offers_a_tender_and_the_split_is_taken(cashier):
    card = f.sold_card(seller(), value_minor=1_000)
    preview = quote(cashier, card, "25")
    assert element(preview.content, "preview-rest") == "15.00 CNY"
    assert b'id="tender-select"' in preview.content
    assert b'<option value="cash" selected>' in preview.content
    assert b'name="allow_split" value="True"' in preview.content
    key = key_in(preview.content, "confirm-form")
    response = confirm(cashier, card, "25.00", key, allow_split="True", tender="mobile_pay")
    assert response.status_code == 200
    operation = Operation.objects.get(kind=OperationKind.PURCHASE)
    assert (operation.paid_other_minor, operation.tender) == (1_500, "mobile_pay")
    assert f.balances(card)[0] == 0


def test_pin_card_preview_asks_for_the_pin(cashier):
    card = f.sold_card(seller(), f.product(pin_required=True), pin="1234")
    preview = quote(cashier, card, "5")
    assert b'id="pin-input"' in preview.content
    key = key_in(preview.content, "confirm-form")
    wrong = confirm(cashier, card, "5.00", key, pin="9999")
    assert wrong.status_code == 422 and b'data-code="wrong_pin"' in wrong.content
    right = confirm(cashier, card, "5.00", key, pin="1234")
    assert right.status_code == 200
    assert f.balances(card)[0] == 9_500


def test_how_the_card_was_read_is_kept_with_the_purchase(cashier, card):
    panel = look(cashier, track2(card.number))
    assert b'name="read_as" value="swiped"' in panel.content
    data = {"card": card.number, "amount": "1", "idempotency_key": f.key(), "read_as": "swiped"}
    preview = cashier.post("/counter/quote/", data, headers=HTMX)
    assert b'name="read_as" value="swiped"' in preview.content.split(b'id="confirm-form"')[1]
    confirm(cashier, card, "1.00", f.key(), read_as="swiped")
    assert Operation.objects.get(kind=OperationKind.PURCHASE).read_as == "swiped"


def test_purchase_without_htmx_goes_to_the_receipt(cashier, card):
    response = cashier.post(
        "/counter/purchase/", {"card": card.number, "amount": "1", "idempotency_key": f.key()}
    )
    operation = Operation.objects.get(kind=OperationKind.PURCHASE)
    assert response.status_code == 302
    assert response["Location"] == f"/counter/receipts/{operation.pk}/"


def test_purchase_needs_post(cashier, card):
    assert cashier.get("/counter/purchase/").status_code == 405
    assert cashier.get("/counter/quote/").status_code == 405


def test_manager_sees_refund_and_reverse_on_last_operations_and_cashier_refund_only(
    client_for, cashier, card
):
    confirm(cashier, card, "1", f.key())
    cashier_panel = look(cashier, card.number).content
    assert b"receipt-of" in cashier_panel
    # A cashier refunds under the counter refund rule; reversing others' work is a manager's.
    assert b"refund-link" in cashier_panel and b"reverse-link" not in cashier_panel
    manager_panel = look(client_for(Role.STORE_MANAGER), card.number).content
    assert b"refund-link" in manager_panel and b"reverse-link" in manager_panel


def test_top_up_button_only_where_stores_may_top_up(cashier):
    plain = f.sold_card(seller())
    allowed = f.sold_card(seller(), f.product(stores_may_top_up=True))
    assert b'id="topup-link"' not in look(cashier, plain.number).content
    assert b'id="topup-link"' in look(cashier, allowed.number).content


def test_counter_pages_render_in_chinese(cashier, card):
    cashier.staff.language = "zh-hans"
    cashier.staff.save(update_fields=["language"])
    for response in (
        cashier.get("/counter/"),
        look(cashier, card.number),
        quote(cashier, card, "1"),
        cashier.get("/counter/sell/"),
    ):
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "zh-hans"
