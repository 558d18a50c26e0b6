"""Card product policies: which switch combinations fit together, validity and bonus rules.

Pure functions over unsaved products: no database needed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from membercard.cards.models import CardProduct
from membercard.cards.policies import (
    bonus_for,
    check_initial_value,
    expiry_for,
    product_problems,
    require_value_card,
)
from membercard.core.errors import ProductPolicyViolation


def product(**overrides) -> CardProduct:
    """A rechargeable stored-value card: the simplest valid product."""
    fields = {
        "code": "value",
        "name": "Value card",
        "number_prefix": "88",
        "number_length": 16,
    }
    fields.update(overrides)
    return CardProduct(**fields)


MEMBERSHIP_ONLY = {"has_stored_value": False, "rechargeable": False}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"has_discount": True, "discount_rate_bp": 500},
        {"has_points": True, "points_per_unit": 1, "has_tiers": True},
        {"bonus_rules": [[10_000, 1_000], [50_000, 8_000]], "face_values": [10_000, 50_000]},
        {"stores_may_top_up": True, "pin_required": True, "validity_months": 24},
        # A one-time keychain card worth a fixed amount, with a deposit.
        {"rechargeable": False, "face_values": [5_000], "deposit_minor": 1_000},
        # A membership card: discount only, no stored value, a card fee.
        {**MEMBERSHIP_ONLY, "has_discount": True, "discount_rate_bp": 1_000, "card_fee_minor": 900},
        {"validity_months": 1},
        {"validity_months": 600},
    ],
)
def test_common_products_have_no_problems(overrides):
    item = product(**overrides)
    assert product_problems(item) == {}
    item.clean()  # does not raise


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # Face values and bonus rules are lists of positive whole amounts.
        ({"face_values": [0]}, "face_values"),
        ({"face_values": [-100]}, "face_values"),
        ({"face_values": ["100"]}, "face_values"),
        ({"face_values": [True]}, "face_values"),
        ({"face_values": [10.5]}, "face_values"),
        ({"face_values": 100}, "face_values"),
        ({"bonus_rules": [[1_000]]}, "bonus_rules"),
        ({"bonus_rules": [[1_000, 0]]}, "bonus_rules"),
        ({"bonus_rules": [1_000, 100]}, "bonus_rules"),
        ({"bonus_rules": [[1_000, 100, 5]]}, "bonus_rules"),
        ({"bonus_rules": "1000:100"}, "bonus_rules"),
        # A card without stored value.
        ({"has_stored_value": False}, "rechargeable"),
        ({**MEMBERSHIP_ONLY, "face_values": [1_000]}, "face_values"),
        ({**MEMBERSHIP_ONLY, "bonus_rules": [[1_000, 100]]}, "face_values"),
        ({**MEMBERSHIP_ONLY, "pin_required": True}, "pin_required"),
        ({**MEMBERSHIP_ONLY, "deposit_minor": 500}, "deposit_minor"),
        ({**MEMBERSHIP_ONLY, "stores_may_top_up": True}, "stores_may_top_up"),
        # A one-time card is worth a fixed amount and cannot be topped up.
        ({"rechargeable": False}, "face_values"),
        (
            {"rechargeable": False, "face_values": [5_000], "stores_may_top_up": True},
            "stores_may_top_up",
        ),
        # Switches and their rates go together.
        ({"has_discount": True}, "discount_rate_bp"),
        ({"discount_rate_bp": 500}, "discount_rate_bp"),
        ({"has_discount": True, "discount_rate_bp": 10_000}, "discount_rate_bp"),
        ({"has_points": True}, "points_per_unit"),
        ({"points_per_unit": 1}, "points_per_unit"),
        ({"has_tiers": True}, "has_tiers"),
        # Number format: never a bank card range (12 digits or more need a safe prefix),
        # 6 to 19 digits, a digit left for the card.
        ({"number_prefix": "4"}, "number_prefix"),  # Visa
        ({"number_prefix": "62"}, "number_prefix"),  # UnionPay
        ({"number_prefix": "8a"}, "number_prefix"),
        ({"number_prefix": ""}, "number_prefix"),
        ({"number_length": 5}, "number_prefix"),
        ({"number_length": 20}, "number_prefix"),
        ({"number_prefix": "1234567", "number_length": 8}, "number_prefix"),  # no digit left
        # Guessable numbers (short, too few digits of their own, no check digit): a
        # stored-value card needs a PIN to pay.
        ({"number_length": 10}, "pin_required"),  # 7 digits of its own
        ({"number_prefix": "88123456", "number_length": 16}, "pin_required"),
        ({"number_check_digit": False}, "pin_required"),
        # Validity.
        ({"validity_months": 0}, "validity_months"),
        ({"validity_months": 601}, "validity_months"),
    ],
)
def test_each_bad_combination_is_named(overrides, field):
    # Given a product with one thing wrong
    item = product(**overrides)
    # When its problems are listed
    problems = product_problems(item)
    # Then exactly that field is named, and clean() refuses it
    assert set(problems) == {field}, problems
    with pytest.raises(ValidationError) as info:
        item.clean()
    assert field in info.value.message_dict


def test_several_problems_are_all_listed():
    item = product(has_stored_value=False, has_discount=True, validity_months=0)
    assert set(product_problems(item)) == {"rechargeable", "discount_rate_bp", "validity_months"}


# Initial value and value cards -------------------------------------------------------------


def test_a_product_with_face_values_is_sold_only_at_them():
    item = product(face_values=[5_000, 10_000])
    check_initial_value(item, 5_000)
    check_initial_value(item, 10_000)
    with pytest.raises(ProductPolicyViolation) as info:
        check_initial_value(item, 7_500)
    assert info.value.code == "product_policy"
    assert info.value.extra == {"allowed": [5_000, 10_000]}


def test_a_product_without_face_values_takes_any_initial_value():
    check_initial_value(product(), 1)
    check_initial_value(product(), 123_456)


def test_a_card_without_stored_value_takes_no_initial_value():
    item = product(**MEMBERSHIP_ONLY)
    check_initial_value(item, 0)
    with pytest.raises(ProductPolicyViolation):
        check_initial_value(item, 100)
    with pytest.raises(ProductPolicyViolation):
        require_value_card(item, "top up")
    require_value_card(product(), "top up")


# Validity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activated", "months", "expires"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),  # clamped to the month's end
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2025, 3, 31), 1, dt.date(2025, 4, 30)),
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
        (dt.date(2025, 1, 15), 1, dt.date(2025, 2, 15)),
        (dt.date(2025, 12, 15), 1, dt.date(2026, 1, 15)),  # into the next year
        (dt.date(2025, 11, 30), 2, dt.date(2026, 1, 30)),
        (dt.date(2025, 12, 31), 12, dt.date(2026, 12, 31)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(2025, 6, 1), 600, dt.date(2075, 6, 1)),
    ],
)
def test_expiry_is_the_same_day_months_later_or_the_months_end(activated, months, expires):
    assert expiry_for(product(validity_months=months), activated) == expires


def test_a_product_without_validity_never_expires():
    assert expiry_for(product(validity_months=None), dt.date(2025, 1, 31)) is None


# Bonus -------------------------------------------------------------------------------------

RULES = [[1_000, 50], [5_000, 300], [10_000, 800]]


@pytest.mark.parametrize(
    ("amount", "bonus"),
    [(1, 0), (999, 0), (1_000, 50), (4_999, 50), (5_000, 300), (9_999, 300), (10_000, 800),
     (1_000_000, 800)],
)  # fmt: skip
def test_bonus_of_the_highest_threshold_reached(amount, bonus):
    assert bonus_for(product(bonus_rules=RULES), amount) == bonus


def test_bonus_rules_in_any_order():
    assert bonus_for(product(bonus_rules=list(reversed(RULES))), 7_000) == 300


def test_no_bonus_rules_no_bonus():
    assert bonus_for(product(), 1_000_000) == 0


def test_the_highest_threshold_reached_decides_even_when_its_bonus_is_smaller():
    # Given (odd) rules whose bonus shrinks as the threshold grows
    item = product(bonus_rules=[[1_000, 100], [5_000, 50]])
    # Then the rule of the highest threshold reached applies, as documented
    assert bonus_for(item, 4_999) == 100
    assert bonus_for(item, 5_000) == 50
