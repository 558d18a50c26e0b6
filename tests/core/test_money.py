"""Money and rounding rules (membercard.core.money): every rounding rounds down, amounts
are whole minor units within one operation's limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from membercard.core.errors import InvalidAmount
from membercard.core.money import (
    MAX_AMOUNT_MINOR,
    check_amount,
    discount_of,
    format_minor,
    points_earned,
    pro_rata,
)

# Discounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "rate_bp", "discount"),
    [
        (1_999, 500, 99),  # 5 % of 19.99 is 0.9995: the customer gets 0.99, never 1.00
        (199, 950, 18),  # the module's own example: 9.5 % of 1.99 is 0.18, not 0.19
        (2_000, 1_000, 200),
        (1, 9_999, 0),
        (10_000, 0, 0),
        (0, 5_000, 0),
        (MAX_AMOUNT_MINOR, 9_999, 999_900_000),
    ],
)
def test_a_discount_rounds_down_to_the_minor_unit(gross, rate_bp, discount):
    assert discount_of(gross, rate_bp) == discount


# Points ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "per_unit", "multiplier", "points"),
    [
        (1_999, 1, 100, 19),  # 19.99 at 1 point per unit: 19, rounded down
        (1_999, 3, 100, 59),  # 59.97 -> 59
        (99, 1, 100, 0),  # less than one major unit earns nothing
        (100, 1, 100, 1),
        (1_000, 1, 150, 15),  # a 1.5x tier multiplier
        (1_001, 1, 150, 15),
        (0, 5, 100, 0),
    ],
)
def test_points_are_whole_and_round_down(net, per_unit, multiplier, points):
    assert points_earned(net, per_unit, multiplier) == points


def test_points_follow_the_currency_digits(settings):
    # Given a currency without minor units (yen)
    settings.MEMBERCARD_CURRENCY_DIGITS = 0
    # Then one point per unit is one point per minor unit
    assert points_earned(1_999, 1) == 1_999


# Pro rata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "part", "whole", "share"),
    [(10, 1, 3, 3), (10, 2, 3, 6), (10, 3, 3, 10), (7, 0, 5, 0), (5, 1, 0, 0), (5, 1, -1, 0)],
)
def test_pro_rata_rounds_down_and_is_zero_of_nothing(total, part, whole, share):
    assert pro_rata(total, part, whole) == share


def test_pro_rata_on_the_running_total_adds_up_to_the_whole():
    # Given 10 points to hand back over a net amount of 3, in three refunds of 1
    running = [pro_rata(10, refunded, 3) for refunded in (1, 2, 3)]
    # Then each step is the difference of running shares, and they add up exactly
    steps = [b - a for a, b in zip([0, *running], running, strict=False)]
    assert steps == [3, 3, 4]
    assert sum(steps) == 10


# Formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (12_345, "123.45 CNY"),
        (5, "0.05 CNY"),
        (0, "0.00 CNY"),
        (-5, "-0.05 CNY"),
        (-12_345, "-123.45 CNY"),
        (123_456_789, "1,234,567.89 CNY"),
    ],
)
def test_format_minor_for_people(settings, amount, text):
    settings.MEMBERCARD_CURRENCY = "CNY"
    settings.MEMBERCARD_CURRENCY_DIGITS = 2
    assert format_minor(amount) == text


def test_format_minor_without_minor_digits(settings):
    settings.MEMBERCARD_CURRENCY = "JPY"
    settings.MEMBERCARD_CURRENCY_DIGITS = 0
    assert format_minor(1_234_567) == "1,234,567 JPY"


# Checking amounts --------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 99, MAX_AMOUNT_MINOR])
def test_a_sane_amount_is_returned(amount):
    assert check_amount(amount) == amount


def test_zero_is_accepted_only_when_allowed():
    assert check_amount(0, allow_zero=True) == 0
    with pytest.raises(InvalidAmount) as info:
        check_amount(0)
    assert info.value.code == "invalid_amount"


@pytest.mark.parametrize(
    "amount",
    [
        True,  # a bool is an int in Python, never an amount
        False,
        1.0,
        0.5,
        "100",
        None,
        Decimal("100"),
        -1,
        -MAX_AMOUNT_MINOR,
        MAX_AMOUNT_MINOR + 1,
        2**63,
    ],
)
def test_an_insane_amount_is_refused(amount):
    with pytest.raises(InvalidAmount) as info:
        check_amount(amount, allow_zero=True, field="top-up")
    assert info.value.code == "invalid_amount"
    assert info.value.extra == {"field": "top-up"}
    assert "top-up" in info.value.message
