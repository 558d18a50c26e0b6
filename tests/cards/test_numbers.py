"""Card numbers: Luhn, generation, and never overlapping bank-card ranges.

Pure Python: runs without Django settings.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from membercard.cards.numbers import (
    MAX_LENGTH,
    MIN_LENGTH,
    generate_number,
    is_luhn_valid,
    looks_like_payment_card,
    luhn_check_digit,
    payment_brand,
    validate_prefix_and_length,
)

DIGITS = "0123456789"
# "4111111111111111" in Arabic-Indic digits: str.isdigit() is True, but it is no card number.
ARABIC_INDIC_VISA = "".join(chr(0x0660 + int(d)) for d in "4111111111111111")
SAFE_PREFIXES = ["1", "7", "0", "88", "9100", "70", "12345678"]


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    """A number any safe card product could issue: prefix + digits + Luhn digit."""
    prefix = draw(st.sampled_from(SAFE_PREFIXES))
    length = draw(st.integers(min_value=max(MIN_LENGTH, len(prefix) + 9), max_value=MAX_LENGTH))
    random_count = length - len(prefix) - 1
    payload = prefix + draw(st.text(alphabet=DIGITS, min_size=random_count, max_size=random_count))
    return payload + luhn_check_digit(payload)


# Luhn --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["79927398713", "4111111111111111", "378282246310005", "6011111111111117", "0", "18"],
)
def test_known_valid_luhn_vectors(number: str) -> None:
    assert is_luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["79927398710", "79927398714", "4111111111111112", "1234567812345678", "19"]
)
def test_known_invalid_luhn_vectors(number: str) -> None:
    assert not is_luhn_valid(number)


def test_check_digit_known_vectors() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("411111111111111") == "1"
    assert luhn_check_digit("1") == "8"


@pytest.mark.parametrize("value", ["", "12a4", " 123", "\u0661\u0662\u0663", "12.3", "+123"])
def test_is_luhn_valid_is_false_for_non_digits_and_never_raises(value: str) -> None:
    assert is_luhn_valid(value) is False


@pytest.mark.parametrize("payload", ["", "12a", "\u0661\u0662\u0663", " 1"])
def test_check_digit_refuses_non_digit_payload(payload: str) -> None:
    with pytest.raises(ValueError):
        luhn_check_digit(payload)


@given(st.text(alphabet=DIGITS, min_size=1, max_size=30))
def test_appending_the_check_digit_makes_a_valid_number(payload: str) -> None:
    digit = luhn_check_digit(payload)
    assert len(digit) == 1 and digit in DIGITS
    assert is_luhn_valid(payload + digit)
    assert all(not is_luhn_valid(payload + other) for other in DIGITS if other != digit)


@given(valid_numbers(), st.data())
def test_any_single_digit_mistype_is_detected(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in DIGITS if d != number[position]]))
    mistyped = number[:position] + replacement + number[position + 1 :]
    assert not is_luhn_valid(mistyped)


@given(valid_numbers(), st.data())
def test_adjacent_transpositions_are_detected_except_09_90(
    number: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 2))
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    if {a, b} == {"0", "9"}:
        assert is_luhn_valid(swapped)  # the one blind spot of Luhn
    else:
        assert not is_luhn_valid(swapped)


# Generation --------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "length"), [("88", 12), ("9100", 16), ("1", 19), ("7", 12)])
def test_generated_numbers_have_prefix_length_and_valid_check_digit(
    prefix: str, length: int
) -> None:
    for _ in range(50):
        number = generate_number(prefix, length)
        assert len(number) == length
        assert number.startswith(prefix)
        assert number.isascii() and number.isdigit()
        assert is_luhn_valid(number)
        assert not looks_like_payment_card(number)


def test_generated_numbers_differ_across_calls() -> None:
    numbers = {generate_number("88", 16) for _ in range(200)}
    assert len(numbers) == 200


def test_generate_number_validates_its_arguments() -> None:
    with pytest.raises(ValueError):
        generate_number("4", 16)
    with pytest.raises(ValueError):
        generate_number("88", 11)


# Prefix and length validation -------------------------------------------------


@pytest.mark.parametrize(
    "prefix", ["4", "62", "81", "82", "5", "3", "6", "2", "8", "9", "22", "27", "979", "9792", "65"]
)
def test_prefixes_in_or_leading_into_payment_ranges_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="payment-card"):
        validate_prefix_and_length(prefix, 16)


@pytest.mark.parametrize("prefix", ["88", "9100", "1", "7", "0", "273", "9791", "2100", "12345678"])
def test_safe_prefixes_are_accepted(prefix: str) -> None:
    validate_prefix_and_length(prefix, 19)


@pytest.mark.parametrize("prefix", ["", "123456789", "8a", "\u0661", " 1", "-1"])
def test_malformed_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        validate_prefix_and_length(prefix, 16)


@pytest.mark.parametrize("length", [MIN_LENGTH - 1, MAX_LENGTH + 1, 0, -16, True, 16.0, "16"])
def test_bad_lengths_are_refused(length: object) -> None:
    with pytest.raises(ValueError, match="length"):
        validate_prefix_and_length("88", length)  # type: ignore[arg-type]


def test_at_least_eight_random_digits_must_remain() -> None:
    validate_prefix_and_length("100", 12)  # 12 - 3 - 1 = 8
    with pytest.raises(ValueError, match="random"):
        validate_prefix_and_length("1000", 12)  # 7 left
    validate_prefix_and_length("10000000", 17)


@given(
    st.text(alphabet=DIGITS, min_size=1, max_size=8),
    st.text(alphabet=DIGITS, min_size=0, max_size=18),
)
def test_no_number_from_an_accepted_prefix_can_look_like_a_bank_card(
    prefix: str, rest: str
) -> None:
    try:
        validate_prefix_and_length(prefix, MAX_LENGTH)
    except ValueError:
        return
    assert payment_brand(prefix + rest) is None
    assert not looks_like_payment_card((prefix + rest + "0" * MAX_LENGTH)[:16])


# Payment brands ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "Visa"),
        ("4000056655665556", "Visa"),
        ("6212345678901234", "UnionPay"),
        ("6212345678901234567", "UnionPay"),
        ("8171999927660000", "UnionPay"),
        ("2221000000000009", "Mastercard"),
        ("2720991234567890", "Mastercard"),
        ("5555555555554444", "Mastercard"),
        ("378282246310005", "American Express"),
        ("341111111111111", "American Express"),
        ("2200123456789010", "Mir"),
        ("30569309025904", "Diners Club"),
        ("3530111333300000", "JCB"),
        ("6011111111111117", "Discover"),
        ("6445644564456445", "Discover"),
        ("6521000000000000", "Discover"),
        ("6070000000000000", "RuPay"),
        ("5081000000000000", "RuPay"),
        ("8200000000000000", "RuPay"),
        ("5018000000000009", "Maestro"),
        ("6799990100000000019", "Maestro"),
        ("9792000000000000", "Troy"),
        ("3100000000000000", "payment card"),
        ("5900000000000000", "payment card"),
    ],
)
def test_payment_brand_examples(number: str, brand: str) -> None:
    assert payment_brand(number) == brand
    assert looks_like_payment_card(number)


@pytest.mark.parametrize(
    "number", ["8800000000000000", "9100123456789012", "1234567890123", "7000000000000", "2100", ""]
)
def test_non_payment_numbers_have_no_brand(number: str) -> None:
    assert payment_brand(number) is None
    assert not looks_like_payment_card(number)


@pytest.mark.parametrize("value", ["abc", "4111 1111 1111 1111", ARABIC_INDIC_VISA, "4-1"])
def test_payment_brand_is_none_for_non_digits(value: str) -> None:
    assert payment_brand(value) is None
    assert not looks_like_payment_card(value)


def test_looks_like_payment_card_length_bounds_and_no_luhn_requirement() -> None:
    assert looks_like_payment_card("501800000009")  # 12-digit Maestro exists
    assert not looks_like_payment_card("41111111111")  # 11 digits
    assert not looks_like_payment_card("4" * 20)  # 20 digits
    assert not is_luhn_valid("4111111111111112")
    assert looks_like_payment_card("4111111111111112")  # misread bank card still refused
