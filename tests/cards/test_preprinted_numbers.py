"""Pre-printed cards the merchant already has (issue #16): a product declares its number
format (6 to 19 digits, prefix and check digit optional); the reader and the manufacturer's
file follow it; bank-card numbers stay refused; guessable numbers (no check digit, too few
digits of their own, or a file in sequence) need a PIN to pay."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from membercard.cards.lookups import look_up_card
from membercard.cards.models import Card, CardProduct
from membercard.cards.products import save_product
from membercard.cards.reader import parse_reader_input
from membercard.core.errors import (
    InvalidCardNumber,
    PaymentCardRefused,
    ProductPolicyViolation,
    ValidationFailed,
    WrongPin,
)
from membercard.core.models import Role
from membercard.core.redaction import mask_card_data
from membercard.inventory.errors import BatchImportRefused
from membercard.inventory.services import batches
from membercard.operations import purchase
from membercard.operations.sales import sell_card
from tests import factories as f
from tests.inventory import factories as inv
from tests.web.conftest import signed_in
from tests.web.test_setup_pages import PRODUCT

pytestmark = pytest.mark.django_db

BOX = [f"{10000001 + n}" for n in range(10)]  # the merchant's box: 10000001 to 10000010


@pytest.fixture
def boxed() -> CardProduct:
    """8-digit numbers printed without a check digit: a PIN to pay, as they are guessable."""
    return f.product(
        number_prefix="1000", number_length=8, number_check_digit=False, pin_required=True
    )


def imported(product: CardProduct, numbers: list[str]):
    batch = batches.import_batch(
        actor=inv.keeper(), product=product, rows_text="\n".join(numbers), unit_cost_minor=0
    )
    batches.receive_batch(actor=inv.keeper(), batch_id=batch.pk)
    return batch


def test_the_box_is_imported_and_read_at_the_counter(boxed):
    imported(boxed, BOX)
    assert sorted(Card.objects.filter(product=boxed).values_list("number", flat=True)) == BOX
    # 8 digits read as a card number (not an RFID UID, although they are 8 hex characters)
    reference = parse_reader_input("10000003")
    assert (reference.kind, reference.value) == ("number", "10000003")
    hq = f.actor(Role.HQ_ADMIN, f.hq())
    assert look_up_card(hq, "1000 0003", address="127.0.0.1").card.number == "10000003"


def test_a_short_number_no_product_has_is_refused_clearly(boxed):
    with pytest.raises(InvalidCardNumber, match="No card here has a number of 7 digits"):
        parse_reader_input("1000001")
    with pytest.raises(InvalidCardNumber, match="6 to 19 digits"):
        parse_reader_input("10000")
    # Without a product of 8 digits starting 2000, those digits stay an RFID UID.
    assert parse_reader_input("20000001").kind == "uid"


def test_without_a_check_digit_any_last_digit_is_a_number_with_one_it_must_be_right():
    plain = f.product(
        number_prefix="77", number_length=16, number_check_digit=False, pin_required=True
    )
    luhn = f.product(number_prefix="78", number_length=16)
    assert parse_reader_input("7700000000000001").value == "7700000000000001"
    assert parse_reader_input("7700000000000002").value == "7700000000000002"
    good = inv.number(luhn, 12345)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber, match="check digit"):
        parse_reader_input(wrong)
    assert plain.pk and luhn.pk


def test_bank_card_numbers_stay_refused():
    with pytest.raises(PaymentCardRefused):
        parse_reader_input("4111111111111111")
    # A long format needs a prefix clear of the bank ranges; a short one cannot be a bank card.
    with pytest.raises(ValidationError, match="prefix clear of bank card ranges"):
        f.product(number_prefix="", number_length=16, number_check_digit=False, pin_required=True)
    assert f.product(number_prefix="4", number_length=8, pin_required=True).pk


def test_guessable_numbers_need_a_pin_and_the_page_says_why():
    refused = CardProduct(
        code="box",
        name="Box",
        number_prefix="1000",
        number_length=8,
        number_check_digit=False,
    )
    with pytest.raises(ValidationFailed) as problem:
        save_product(actor=f.actor(Role.HQ_ADMIN, f.hq()), product=refused)
    assert "PIN" in problem.value.message
    # No stored value: nothing to spend, so no PIN is needed (a PIN needs stored value).
    membership = f.product(
        number_prefix="1001",
        number_length=8,
        number_check_digit=False,
        has_stored_value=False,
        rechargeable=False,
    )
    assert membership.pk
    boxed = f.product(
        number_prefix="1002", number_length=8, number_check_digit=False, pin_required=True
    )
    admin = signed_in(Role.HQ_ADMIN)
    page = admin.get(f"/hq/products/{boxed.pk}/").content.decode()
    assert 'id="guessable-numbers"' in page and "PIN" in page
    ours = admin.get(f"/hq/products/{f.product().pk}/").content.decode()
    assert 'id="guessable-numbers"' not in ours


def test_a_sold_boxed_card_pays_only_with_its_pin(boxed):
    imported(boxed, BOX[:3])
    cashier = f.actor(Role.STORE_CASHIER)
    Card.objects.filter(number=BOX[0]).update(location=cashier.location)
    sell_card(
        actor=cashier,
        card_number=BOX[0],
        initial_value_minor=5_000,
        tender="cash",
        pin="2468",
        idempotency_key=f.key(),
    )
    with pytest.raises(WrongPin):
        purchase(actor=cashier, card_number=BOX[0], amount_minor=100, idempotency_key=f.key())
    paid = purchase(
        actor=cashier, card_number=BOX[0], amount_minor=100, pin="2468", idempotency_key=f.key()
    )
    assert paid.net_minor == 100


def test_we_draw_no_numbers_for_a_preprinted_product(boxed):
    with pytest.raises(ProductPolicyViolation, match="import the manufacturer's file"):
        inv.order_batch(inv.keeper(), boxed, quantity=5)


def test_a_file_in_sequence_needs_a_pin_on_a_stored_value_product():
    product = f.product()  # our format, no PIN
    in_sequence = [inv.number(product, 500 + n) for n in range(3)]
    with pytest.raises(BatchImportRefused, match="in sequence"):
        imported(product, in_sequence)
    assert not Card.objects.exists()
    spaced = [inv.number(product, 500 + 2 * n) for n in range(3)]
    assert imported(product, spaced).quantity == 3
    membership = f.product(has_stored_value=False, rechargeable=False)
    assert imported(membership, [inv.number(membership, n) for n in range(3)]).quantity == 3


def test_short_numbers_are_masked_where_card_numbers_go_in_logs():
    assert mask_card_data("GET /api/v1/cards/10000001/balance") == (
        "GET /api/v1/cards/••••0001/balance"
    )
    assert mask_card_data("/counter/?card=10000001&x=1") == "/counter/?card=••••0001&x=1"
    # Other short numbers in text (an amount, a small id, a date) are left as they are.
    assert mask_card_data("paid 100000 at /approvals/12/ on 2026-12-07") == (
        "paid 100000 at /approvals/12/ on 2026-12-07"
    )


def test_the_product_form_declares_a_preprinted_format():
    admin = signed_in(Role.HQ_ADMIN)
    boxed = {
        **PRODUCT,
        "code": "box",
        "number_prefix": "1000",
        "number_length": "8",
        "number_check_digit": "",
        "idempotency_key": f.key(),
    }
    refused = admin.post("/hq/products/new/", boxed)
    assert refused.status_code == 422 and "pin_required" in refused.context["form"].errors
    created = admin.post("/hq/products/new/", {**boxed, "pin_required": "on"})
    assert created.status_code == 302
    product = CardProduct.objects.get(code="box")
    assert (product.number_length, product.number_check_digit) == (8, False)
