"""Card numbers: Luhn check digit, generation, and keeping clear of bank cards.

Our card numbers are fixed-length per card product: the product's digit prefix,
random digits from a CSPRNG (so numbers cannot be guessed from a neighbour's),
and a Luhn check digit (so a mistyped or misread number is refused at the
counter instead of hitting somebody else's card).

Two rules protect us from ever storing a bank card number (PCI scope):

* a product prefix may not lie in, or lead into, a payment-card IIN range, so
  none of *our* numbers can ever look like a bank card; and
* any number read at the counter that does look like one is refused before
  anything else happens (see :mod:`membercard.cards.reader`).

This module is pure Python (stdlib only) so it can be tested without Django.
"""

from __future__ import annotations

import functools
import re
import secrets

MIN_LENGTH = 12  # the numbers we generate
MAX_LENGTH = 19
# Cards the merchant already has may carry shorter numbers (a box of 10000001...), with or
# without a check digit: a product declares its format (``validate_number_format``).
SHORTEST_NUMBER = 6
MAX_PREFIX_LENGTH = 8
# Fewer random digits than this would make numbers guessable by trying neighbours.
MIN_RANDOM_DIGITS = 8

# Bank card numbers (PANs) are 12 (some Maestro) to 19 digits long.
PAYMENT_MIN_LENGTH = 12
PAYMENT_MAX_LENGTH = 19

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)

# (number of leading digits, low, high, brand). First match wins, so the more
# specific ranges come before the broad ones (6011 Discover before 60 RuPay,
# 508 RuPay before 50 Maestro, 62/64/65 before "any other 6"). Every range is
# decided by at most the first four digits; _prefix_may_be_payment relies on it.
_BRAND_RANGES: tuple[tuple[int, int, int, str], ...] = (
    (4, 9792, 9792, "Troy"),
    (4, 2200, 2204, "Mir"),
    (4, 2221, 2720, "Mastercard"),
    (2, 51, 55, "Mastercard"),
    (1, 4, 4, "Visa"),
    (2, 34, 34, "American Express"),
    (2, 37, 37, "American Express"),
    (3, 300, 305, "Diners Club"),
    (2, 36, 36, "Diners Club"),
    (2, 38, 39, "Diners Club"),
    (4, 3528, 3589, "JCB"),
    (4, 6011, 6011, "Discover"),
    (3, 644, 649, "Discover"),
    (2, 65, 65, "Discover"),
    (2, 62, 62, "UnionPay"),
    # UnionPay uses 810000-817199; all of 81 is treated as UnionPay to be safe.
    (2, 81, 81, "UnionPay"),
    (3, 508, 508, "RuPay"),
    (2, 60, 60, "RuPay"),
    (2, 82, 82, "RuPay"),
    (2, 50, 50, "Maestro"),
    (2, 56, 58, "Maestro"),
    (1, 6, 6, "Maestro"),
    # Major industry identifiers 3-6 (travel, banking, financial): always a
    # payment card even when the exact brand is not in the table above.
    (1, 3, 3, "payment card"),
    (1, 5, 5, "payment card"),
)
_BRAND_PREFIX_DIGITS = max(width for width, _, _, _ in _BRAND_RANGES)


def _is_ascii_digits(value: object) -> bool:
    return isinstance(value, str) and _ASCII_DIGITS.fullmatch(value) is not None


def _luhn_total(digits: str, *, double_rightmost: bool) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if (index % 2 == 0) == double_rightmost:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total


def luhn_check_digit(payload: str) -> str:
    """Return the Luhn digit to append to ``payload`` (a non-empty ASCII digit string).

    Luhn catches every single-digit mistype and every adjacent transposition
    except 09 <-> 90, which covers almost all keying and misreading errors.
    """
    if not _is_ascii_digits(payload):
        raise ValueError("The Luhn payload must be a non-empty string of ASCII digits.")
    total = _luhn_total(payload, double_rightmost=True)
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """Whether ``number`` ends in a correct Luhn digit. False (never raises) for non-digits."""
    if not _is_ascii_digits(number):
        return False
    return _luhn_total(number, double_rightmost=False) % 10 == 0


def payment_brand(number: str) -> str | None:
    """The payment-card brand whose IIN range ``number``'s leading digits fall in, or None.

    Works on any digit string, including a bare prefix: a range is only
    considered once the string has enough digits to decide it (so "22" is None,
    though "2200" is Mir). The brand name for short strings is a best guess;
    whether the result is None is what matters. Non-digit input gives None.
    """
    if not _is_ascii_digits(number):
        return None
    for width, low, high, brand in _BRAND_RANGES:
        if len(number) >= width and low <= int(number[:width]) <= high:
            return brand
    return None


def looks_like_payment_card(number: str) -> bool:
    """Whether ``number`` could be a bank card: 12-19 digits in a payment-card IIN range.

    The Luhn digit is deliberately not required: a bank card misread by one
    digit is still a bank card and must never be stored or echoed. 12 digits
    (not 13) is the lower bound because some Maestro cards are that short; our
    own numbers never start in a brand range, so this costs us nothing.
    """
    return (
        _is_ascii_digits(number)
        and PAYMENT_MIN_LENGTH <= len(number) <= PAYMENT_MAX_LENGTH
        and payment_brand(number) is not None
    )


@functools.cache
def _prefix_may_be_payment(prefix: str) -> bool:
    """Whether some number starting with ``prefix`` could fall in a payment-card range.

    Cached: a short prefix means trying up to 10**4 tails, and batches generate 100 000
    numbers with the same prefix."""
    missing = _BRAND_PREFIX_DIGITS - len(prefix)
    if missing <= 0:
        return payment_brand(prefix) is not None
    return any(
        payment_brand(prefix + str(tail).zfill(missing)) is not None for tail in range(10**missing)
    )


def validate_prefix_and_length(prefix: str, length: int) -> None:
    """Check a card product's number format; raise ValueError (a programmer/config error).

    Refuses a prefix from which any number could fall in a payment-card range:
    "6" is refused because 62... is UnionPay, "8" because of 81/82, "2" because
    of Mir and Mastercard 2-series; "88", "9100" and "1" are fine.
    """
    if not _is_ascii_digits(prefix) or not 1 <= len(prefix) <= MAX_PREFIX_LENGTH:
        raise ValueError(f"The prefix must be 1 to {MAX_PREFIX_LENGTH} ASCII digits.")
    if isinstance(length, bool) or not isinstance(length, int):
        raise ValueError("The card number length must be an integer.")
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"The card number length must be {MIN_LENGTH} to {MAX_LENGTH} digits.")
    if length - len(prefix) - 1 < MIN_RANDOM_DIGITS:
        raise ValueError(
            f"The prefix is too long for length {length}: at least {MIN_RANDOM_DIGITS} random "
            "digits must remain after the prefix and the check digit."
        )
    if _prefix_may_be_payment(prefix):
        raise ValueError(
            f"The prefix {prefix!r} overlaps a payment-card (bank card) number range; "
            "choose a prefix such as 1, 7, 88 or 9100."
        )


def validate_number_format(prefix: str, length: int, check_digit: bool) -> None:
    """Check the number format a card product declares (ValueError says what is wrong).

    6 to 19 digits; the prefix is optional (at most 8 digits, shorter than the number). A
    number of 12 digits or more could look like a bank card, so such a product keeps a
    prefix clear of every payment-card range (as ``validate_prefix_and_length`` says);
    a shorter number never can. The check digit is optional: pre-printed cards often have
    none (then the numbers are guessable, see ``guessable_format``).
    """
    if not isinstance(prefix, str) or (prefix and not _is_ascii_digits(prefix)):
        raise ValueError("The prefix must be ASCII digits.")
    if len(prefix) > MAX_PREFIX_LENGTH:
        raise ValueError(f"The prefix has at most {MAX_PREFIX_LENGTH} digits.")
    if isinstance(length, bool) or not isinstance(length, int):
        raise ValueError("The card number length must be an integer.")
    if not SHORTEST_NUMBER <= length <= MAX_LENGTH:
        raise ValueError(
            f"The card number length must be {SHORTEST_NUMBER} to {MAX_LENGTH} digits."
        )
    if len(prefix) + (1 if check_digit else 0) >= length:
        raise ValueError("The prefix (and the check digit) leave no digit for the card.")
    if length >= PAYMENT_MIN_LENGTH:
        if not prefix:
            raise ValueError(
                f"Numbers of {PAYMENT_MIN_LENGTH} digits or more need a prefix clear of "
                "bank card ranges (such as 1, 7, 88 or 9100)."
            )
        if _prefix_may_be_payment(prefix):
            raise ValueError(
                f"The prefix {prefix!r} overlaps a payment-card (bank card) number range; "
                "choose a prefix such as 1, 7, 88 or 9100."
            )


def guessable_format(prefix: str, length: int, check_digit: bool) -> bool:
    """Whether a stranger could find live numbers by trying neighbours: no check digit, or
    fewer than ``MIN_RANDOM_DIGITS`` digits after the prefix and the check digit. Such a
    product's cards need a PIN to pay (``cards.policies``)."""
    return not check_digit or length - len(prefix) - 1 < MIN_RANDOM_DIGITS


def can_generate(prefix: str, length: int, check_digit: bool) -> bool:
    """Whether we can draw this format's numbers ourselves (``generate_number``); the others
    come from the manufacturer's file."""
    if not check_digit:
        return False
    try:
        validate_prefix_and_length(prefix, length)
    except ValueError:
        return False
    return True


def longest_run(numbers: list[str], check_digit: bool) -> int:
    """The longest run of consecutive numbers (without their check digit, when they have
    one) among ``numbers``: numbers in sequence are guessable from any one of them."""
    values = sorted({(len(n), int(n[:-1] if check_digit and len(n) > 1 else n)) for n in numbers})
    longest = run = 0
    previous: tuple[int, int] | None = None
    for value in values:
        consecutive = previous is not None and value == (previous[0], previous[1] + 1)
        run = run + 1 if consecutive else 1
        longest = max(longest, run)
        previous = value
    return longest


def generate_number(prefix: str, length: int) -> str:
    """A new card number: ``prefix`` + random digits (``secrets``) + Luhn digit, ``length`` long.

    Uniqueness is not guaranteed here; the caller stores numbers under a unique
    constraint and retries on a collision.
    """
    validate_prefix_and_length(prefix, length)
    random_count = length - len(prefix) - 1
    payload = prefix + str(secrets.randbelow(10**random_count)).zfill(random_count)
    return payload + luhn_check_digit(payload)
