"""Selling cards and topping them up (membercard.operations.sales)."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import check_password

from membercard.cards import policies
from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.calendar import today
from membercard.core.errors import (
    CardExpired,
    CardNotActive,
    CardNotFound,
    CardNotInStock,
    DomainError,
    InvalidAmount,
    NotPermitted,
    ProductPolicyViolation,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.core.money import MAX_AMOUNT_MINOR
from membercard.ledger.models import (
    OperationKind,
)
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.models import Member
from membercard.operations import sell_card
from membercard.operations.card_life import freeze_card
from tests import factories as f
from tests.ledger.helpers import add, house, refused

pytestmark = pytest.mark.django_db

# Helpers -----------------------------------------------------------------------------------


def sell(seller, card, value=10_000, **kwargs):
    kwargs.setdefault("tender", "cash")
    kwargs.setdefault("idempotency_key", f.key())
    return sell_card(actor=seller, card_number=card.number, initial_value_minor=value, **kwargs)


# Selling a card ----------------------------------------------------------------------------


def test_selling_a_card_activates_it_and_books_every_part_of_the_payment(cashier):
    # Given a product with a fee, a deposit, a bonus rule and a validity, and a card in stock
    product = f.product(
        bonus_rules=[[10_000, 1_000]],
        card_fee_minor=500,
        deposit_minor=2_000,
        validity_months=12,
    )
    card = f.stock_card(product, cashier.location)
    member = Member.objects.create(name="Li Lei", mobile="13800000001")

    # When the cashier sells it with 100.00 on it, paid by bank card, to a member with a PIN
    op = sell(cashier, card, 10_000, tender="bank_card", member=member, pin="2468")

    # Then the card is active, out of stock, sold here, for a year, to the member
    card.refresh_from_db()
    assert card.state == CardState.ACTIVE
    assert card.location is None
    assert card.sold_at == cashier.location
    assert card.activated_at is not None
    assert card.expires_on == policies.expiry_for(product, today())
    assert card.member == member
    # And the PIN is stored only as a hash
    assert card.pin_hash and "2468" not in card.pin_hash
    assert check_password("2468", card.pin_hash)
    # And the customer paid value + fee + deposit by the tender; the bonus came from HQ
    assert (op.kind, op.gross_minor, op.net_minor, op.tender) == (
        OperationKind.CARD_SALE,
        12_500,
        12_500,
        "bank_card",
    )
    assert op.details == {
        "initial_value_minor": 10_000,
        "bonus_minor": 1_000,
        "card_fee_minor": 500,
        "deposit_minor": 2_000,
    }
    assert op.location == cashier.location and op.staff == cashier.staff
    assert f.balances(card) == (10_000, 1_000, 0)
    assert house("tender:S01:bank_card") == -12_500
    assert house("card_fees:S01") == 500
    assert house("deposits:S01") == 2_000
    assert house("promotions:HQ") == -1_000
    assert verify_ledger().problems == []


def test_a_pin_is_hashed_with_argon2(cashier, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    card = f.sold_card(cashier, f.product(pin_required=True), pin="135790")
    assert card.pin_hash.startswith("argon2$")
    assert check_password("135790", card.pin_hash)
    assert not check_password("135791", card.pin_hash)


def test_expiry_is_counted_from_the_business_day_of_the_sale(cashier):
    # Given the clock at 31 January, noon, and a product valid for one month
    product = f.product(validity_months=1)
    card = f.stock_card(product, cashier.location)
    noon = dt.datetime(2025, 1, 31, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    # When the card is sold
    with mock.patch("django.utils.timezone.now", return_value=noon):
        sell(cashier, card)
    # Then it expires at the end of February
    card.refresh_from_db()
    assert card.expires_on == dt.date(2025, 2, 28)


def test_a_card_without_validity_never_expires(cashier):
    card = f.sold_card(cashier, f.product())
    assert card.expires_on is None


def test_a_card_sold_without_member_or_pin(cashier):
    card = f.sold_card(cashier, f.product())
    assert card.member is None and card.pin_hash == ""


def test_a_new_member_is_registered_inside_the_sale(cashier):
    card = f.stock_card(f.product(), cashier.location)
    sell(cashier, card, member_name="Han Mei", member_mobile="13800000077")
    card.refresh_from_db()
    assert card.member.mobile == "13800000077"
    assert card.member.name == "Han Mei"
    assert card.member.registered_at == cashier.location


def test_a_refused_sale_registers_nobody(cashier):
    # Refused after the member is known: over the registered prepaid limit (5 000.00)
    card = f.stock_card(f.product(), cashier.location)
    with pytest.raises(DomainError) as refusal:
        sell(cashier, card, 500_001, member_name="Han Mei", member_mobile="13800000077")
    assert refusal.value.code == "prepaid_limit_exceeded"
    assert not Member.objects.filter(mobile="13800000077").exists()


def test_a_card_sold_for_nothing_needs_no_tender(cashier):
    # Given a rechargeable card with no fee, sold empty (the customer tops up later)
    card = f.stock_card(f.product(), cashier.location)
    # When it is sold for 0 without a tender
    op = sell(cashier, card, 0, tender="")
    # Then it is active, no money moved
    assert (op.gross_minor, op.tender, op.transfers.count()) == (0, "", 0)
    assert f.balances(card) == (0, 0, 0)
    assert verify_ledger().problems == []


def test_a_membership_card_is_sold_for_its_fee_alone(cashier):
    # Given a membership card: a discount and a fee, no stored value
    product = f.product(
        has_stored_value=False,
        rechargeable=False,
        has_discount=True,
        discount_rate_bp=1_000,
        card_fee_minor=900,
    )
    card = f.stock_card(product, cashier.location)
    # When it is sold
    op = sell(cashier, card, 0, tender="mobile_pay")
    # Then only the fee was taken
    assert op.gross_minor == 900
    assert house("card_fees:S01") == 900
    assert f.balances(card) == (0, 0, 0)
    # And it cannot be sold with value on it
    other = f.stock_card(product, cashier.location)
    with refused(ProductPolicyViolation, "product_policy", other):
        sell(cashier, other, 100)


def test_a_one_time_card_is_sold_at_its_face_value(cashier):
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    assert f.balances(card) == (5_000, 0, 0)


def test_hq_sells_from_its_own_stock():
    admin = f.actor(Role.HQ_ADMIN)
    card = f.sold_card(admin, f.product(), 3_000)
    assert card.sold_at == f.hq()
    assert house("tender:HQ:cash") == -3_000


def test_the_sale_carries_terminal_time_and_how_the_card_was_read(cashier):
    card = f.stock_card(f.product(), cashier.location)
    at = dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC)
    op = sell(cashier, card, read_as="swiped", occurred_at=at)
    op.refresh_from_db()
    assert (op.read_as, op.occurred_at) == ("swiped", at)


# Refused sales -----------------------------------------------------------------------------


def test_a_card_in_another_stores_stock_is_not_sold_here(cashier):
    card = f.stock_card(f.product(), f.store("S02"))
    with refused(CardNotInStock, "card_not_in_stock", card):
        sell(cashier, card)


def test_a_card_at_hq_is_not_sold_at_a_store(cashier):
    card = f.stock_card(f.product(), f.hq())
    with refused(CardNotInStock, "card_not_in_stock", card):
        sell(cashier, card)


def test_an_active_card_is_not_sold_again(cashier):
    card = f.sold_card(cashier, f.product())
    with refused(CardNotInStock, "card_not_in_stock", card):
        sell(cashier, card)


def test_an_unknown_card_is_not_found(cashier):
    ghost = Card(number="8800000000000000")
    with refused(CardNotFound, "card_not_found"):
        sell(cashier, ghost)


def test_an_inactive_product_is_no_longer_sold(cashier):
    card = f.stock_card(f.product(is_active=False), cashier.location)
    with refused(ProductPolicyViolation, "product_policy", card):
        sell(cashier, card)


@pytest.mark.parametrize("value", [4_999, 10_000, 1])
def test_a_one_time_card_is_not_sold_at_another_value(cashier, value):
    card = f.stock_card(f.product(rechargeable=False, face_values=[5_000]), cashier.location)
    with refused(ProductPolicyViolation, "product_policy", card) as info:
        sell(cashier, card, value)
    assert info.value.extra == {"allowed": [5_000]}


def test_a_one_time_card_is_not_sold_empty(cashier):
    card = f.stock_card(f.product(rechargeable=False, face_values=[5_000]), cashier.location)
    with refused(ProductPolicyViolation, "product_policy", card):
        sell(cashier, card, 0)


@pytest.mark.parametrize("value", [-1, -10_000, MAX_AMOUNT_MINOR + 1, 100.0, 0.5, True, "100"])
def test_an_insane_initial_value_is_refused(cashier, value):
    card = f.stock_card(f.product(), cashier.location)
    with refused(InvalidAmount, "invalid_amount", card):
        sell(cashier, card, value)


def test_the_hq_stock_keeper_may_not_sell():
    keeper = f.actor(Role.HQ_STOCK)
    card = f.stock_card(f.product(), keeper.location)
    with refused(NotPermitted, "not_permitted", card):
        sell(keeper, card)


def test_a_pin_card_is_not_sold_without_a_pin(cashier):
    card = f.stock_card(f.product(pin_required=True), cashier.location)
    with refused(ValidationFailed, "validation_error", card) as info:
        sell(cashier, card)
    assert info.value.extra == {"field": "pin"}


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "\uff11\uff12\uff13\uff14"])
def test_a_malformed_pin_is_refused(cashier, pin):
    card = f.stock_card(f.product(pin_required=True), cashier.location)
    with refused(ValidationFailed, "validation_error", card):
        sell(cashier, card, pin=pin)


@pytest.mark.parametrize("tender", ["", "cheque", "CASH"])
def test_money_taken_needs_a_known_tender(cashier, tender):
    card = f.stock_card(f.product(), cashier.location)
    with refused(ValidationFailed, "validation_error", card) as info:
        sell(cashier, card, 1_000, tender=tender)
    assert info.value.extra == {"field": "tender"}


def test_a_free_sale_refuses_an_unknown_tender(cashier):
    card = f.stock_card(f.product(), cashier.location)
    with refused(ValidationFailed, "validation_error", card):
        sell(cashier, card, 0, tender="bogus")


def test_a_card_fee_alone_needs_a_tender(cashier):
    card = f.stock_card(f.product(card_fee_minor=500), cashier.location)
    with refused(ValidationFailed, "validation_error", card):
        sell(cashier, card, 0, tender="")


# Topping up --------------------------------------------------------------------------------


def test_hq_finance_tops_up_a_card_sold_at_a_store(cashier, finance):
    # Given a card sold at a store with 100.00
    card = f.sold_card(cashier, f.product(bonus_rules=[[5_000, 250]]), 1_000)
    # When HQ finance tops it up with 50.00 by bank card
    op = add(finance, card, 5_000, tender="bank_card")
    # Then principal and bonus grow, the money is HQ's takings, the bonus HQ's promotion
    assert (op.kind, op.gross_minor, op.net_minor, op.tender) == (
        OperationKind.TOP_UP,
        5_000,
        5_000,
        "bank_card",
    )
    assert op.details == {"bonus_minor": 250}
    assert op.location == f.hq()
    assert f.balances(card) == (6_000, 250, 0)
    assert house("tender:HQ:bank_card") == -5_000
    assert house("promotions:HQ") == -250
    assert verify_ledger().problems == []


def test_an_hq_admin_may_top_up(cashier):
    card = f.sold_card(cashier, f.product(), 1_000)
    add(f.actor(Role.HQ_ADMIN), card, 500)
    assert f.balances(card) == (1_500, 0, 0)


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_a_store_may_not_top_up_unless_the_product_allows(cashier, role):
    card = f.sold_card(cashier, f.product(), 1_000)
    with refused(NotPermitted, "not_permitted", card):
        add(f.actor(role), card, 500)


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_a_store_tops_up_where_the_product_allows(cashier, role):
    card = f.sold_card(cashier, f.product(stores_may_top_up=True), 1_000)
    op = add(f.actor(role), card, 500)
    assert op.location == f.store()
    assert f.balances(card) == (1_500, 0, 0)
    assert house("tender:S01:cash") == -1_500


def test_the_hq_stock_keeper_may_not_top_up(cashier):
    card = f.sold_card(cashier, f.product(), 1_000)
    with refused(NotPermitted, "not_permitted", card):
        add(f.actor(Role.HQ_STOCK), card, 500)


def test_a_one_time_card_is_not_topped_up(cashier, finance):
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    with refused(ProductPolicyViolation, "product_policy", card):
        add(finance, card, 500)


def test_a_card_without_stored_value_is_not_topped_up(cashier, finance):
    product = f.product(
        has_stored_value=False, rechargeable=False, has_discount=True, discount_rate_bp=500
    )
    card = f.sold_card(cashier, product, 0, tender="")
    with refused(ProductPolicyViolation, "product_policy", card):
        add(finance, card, 500)


def test_a_frozen_card_is_not_topped_up(cashier, finance):
    card = f.sold_card(cashier, f.product(), 1_000)
    freeze_card(actor=cashier, card_number=card.number, reason="lost")
    with refused(CardNotActive, "card_not_active", card):
        add(finance, card, 500)


def test_an_expired_card_is_not_topped_up(cashier, finance):
    # Given a card whose validity ended yesterday
    card = f.sold_card(cashier, f.product(validity_months=12), 1_000)
    Card.objects.filter(pk=card.pk).update(expires_on=today() - dt.timedelta(days=1))
    # Then a top-up is refused, naming the day it expired
    with refused(CardExpired, "card_expired", card) as info:
        add(finance, card, 500)
    assert info.value.extra == {"expired_on": (today() - dt.timedelta(days=1)).isoformat()}


def test_a_card_is_valid_through_its_expiry_day(cashier, finance):
    card = f.sold_card(cashier, f.product(validity_months=12), 1_000)
    Card.objects.filter(pk=card.pk).update(expires_on=today())
    add(finance, card, 500)
    assert f.balances(card) == (1_500, 0, 0)


def test_a_card_still_in_stock_is_not_topped_up(finance):
    card = f.stock_card(f.product(), f.store())
    with refused(CardNotActive, "card_not_active", card):
        add(finance, card, 500)


@pytest.mark.parametrize(
    ("amount", "bonus"), [(999, 0), (1_000, 50), (4_999, 50), (5_000, 300), (25_000, 800)]
)
def test_a_top_up_gets_the_bonus_of_the_highest_threshold_reached(cashier, finance, amount, bonus):
    product = f.product(bonus_rules=[[10_000, 800], [1_000, 50], [5_000, 300]])
    card = f.sold_card(cashier, product, 0, tender="")
    add(finance, card, amount)
    assert f.balances(card) == (amount, bonus, 0)


@pytest.mark.parametrize("amount", [0, -500, MAX_AMOUNT_MINOR + 1, 500.0, False, "500"])
def test_an_insane_top_up_is_refused(cashier, finance, amount):
    card = f.sold_card(cashier, f.product(), 1_000)
    with refused(InvalidAmount, "invalid_amount", card):
        add(finance, card, amount)


@pytest.mark.parametrize("tender", ["", "voucher"])
def test_a_top_up_needs_a_tender(cashier, finance, tender):
    card = f.sold_card(cashier, f.product(), 1_000)
    with refused(ValidationFailed, "validation_error", card):
        add(finance, card, 500, tender=tender)
