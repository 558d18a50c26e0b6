"""The one parser for what a card reader (or a cashier) typed into the counter.

USB readers act as keyboards: a magstripe reader types the raw track data, a
barcode/QR scanner types the payload, an RFID reader types the chip UID, and a
cashier may key the number by hand. All of them end in Enter. Every entry point
(pages, API, CLI) passes that text to :func:`parse_reader_input` and gets one
:class:`CardReference` back, or a domain error.

Safety rules, because a customer will sooner or later swipe a bank card:

* a number in a payment-card range is refused with :class:`PaymentCardRefused`
  *before* any other check, whether it was keyed, swiped or scanned;
* no error message or exception attribute ever contains any of the input, and
  errors are never raised while another exception (which might hold the input)
  is being handled, so nothing is chained onto them either.

Pure Python, stdlib only: no Django import here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from membercard.cards.numbers import (
    MAX_LENGTH,
    MIN_LENGTH,
    SHORTEST_NUMBER,
    is_luhn_valid,
    looks_like_payment_card,
)
from membercard.core.errors import InvalidCardNumber, PaymentCardRefused, UnreadableInput

# Longer than any track pair, URL or payload we print; refuse before any regex work.
MAX_INPUT_LENGTH = 512


class ReadAs(StrEnum):
    """How the card was presented; kept with the operation for audit and support."""

    KEYED = "keyed"
    SWIPED = "swiped"
    SCANNED = "scanned"
    TAPPED = "tapped"


@dataclass(frozen=True)
class CardReference:
    """What the counter input identifies: our card number, or an RFID UID alias of a card."""

    kind: Literal["number", "uid"]
    value: str  # number: ASCII digits only; uid: 8 upper-case hex characters
    read_as: ReadAs


@dataclass(frozen=True)
class NumberFormat:
    """A card product's number format, as the reader needs it."""

    prefix: str
    length: int
    check_digit: bool

    def fits(self, digits: str) -> bool:
        return len(digits) == self.length and digits.startswith(self.prefix)


# Where the products' formats come from: the cards app plugs in the database
# (``CardsConfig.ready``); without it (pure tests) only our own format is known: 12 to 19
# digits ending in a check digit.
_formats: Callable[[], Iterable[NumberFormat]] = tuple


def use_number_formats(source: Callable[[], Iterable[NumberFormat]]) -> None:
    global _formats
    _formats = source


# Regexes work on ASCII only: str.isdigit() and \d would accept Arabic-Indic digits and friends.
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_UID_DECIMAL = re.compile(r"[0-9]{10}", re.ASCII)
_UID_HEX = re.compile(r"[0-9A-Fa-f]{8}", re.ASCII)
# Barcode and QR prefixes are case-insensitive: a scanner typing with Caps Lock
# on sends "mc..." instead of "MC...".
_BARCODE = re.compile(r"MC([0-9]+)", re.ASCII | re.IGNORECASE)
_QR = re.compile(r"membercard:card:([0-9]+)", re.ASCII | re.IGNORECASE)
_URL_SCHEME = re.compile(r"https?://", re.ASCII | re.IGNORECASE)
_URL_PATH_CARD = re.compile(r"/c/([0-9]+)/?\Z", re.ASCII)
# Magstripe (ISO 7813). Track 1: %B<PAN>^NAME^YYMM...? ; Track 2: ;<PAN>=YYMM...?
# Start sentinels are optional (some readers strip them); the end sentinel is
# never required. Track 1 PANs may contain spaces on some cards.
_TRACK1 = re.compile(r"%?[Bb]([0-9 ]{1,40})\^", re.ASCII)
_TRACK2 = re.compile(r";([0-9]{1,40})=", re.ASCII)
_TRACK2_BARE = re.compile(r"([0-9]{1,40})=", re.ASCII)
_SEPARATORS = str.maketrans("", "", " -")

_UNREADABLE_SWIPE = gettext_lazy(
    "The card swipe could not be read; please swipe again or key the number."
)
_TRACKS_DISAGREE = gettext_lazy("The two magnetic tracks disagree; please swipe again.")
_UNREADABLE_SCAN = gettext_lazy("The scanned code is not one of our card codes.")


def parse_reader_input(raw: str, *, hint: ReadAs | None = None) -> CardReference:
    """Turn what a reader or cashier typed into a :class:`CardReference`.

    ``hint`` (e.g. the entry field was the "key number" box) sets ``read_as``
    for plain digits only; tracks, codes and UIDs say how they were read.
    Raises only :class:`InvalidCardNumber`, :class:`PaymentCardRefused` or
    :class:`UnreadableInput`, for any input string.
    """
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        raise UnreadableInput()
    text = raw.strip()
    if not text:
        raise UnreadableInput(_("Nothing was read."))

    if _URL_SCHEME.match(text):
        return _number_reference(_number_from_url(text), ReadAs.SCANNED)
    if match := _QR.fullmatch(text):
        return _number_reference(match.group(1), ReadAs.SCANNED)
    if match := _BARCODE.fullmatch(text):
        return _number_reference(match.group(1), ReadAs.SCANNED)
    if text[0] in "%;" or "^" in text or "=" in text:
        return _number_reference(_number_from_tracks(text), ReadAs.SWIPED)
    if _is_uid(text) and not _fits_a_format(text):
        return CardReference(kind="uid", value=normalize_uid(text), read_as=ReadAs.TAPPED)

    digits = text.translate(_SEPARATORS)
    if not _DIGITS.fullmatch(digits):
        raise UnreadableInput()
    return _number_reference(digits, hint or ReadAs.KEYED)


def _is_uid(text: str) -> bool:
    # 8 and 10 characters are a UID, unless a product's numbers have that form (below).
    if _UID_DECIMAL.fullmatch(text):
        return int(text) < 2**32
    return _UID_HEX.fullmatch(text) is not None


def _fits_a_format(text: str) -> bool:
    """Whether digits that also read as an RFID UID are one of a product's numbers (a
    pre-printed 10000001 is a card number, not a chip)."""
    return _DIGITS.fullmatch(text) is not None and any(f.fits(text) for f in _formats())


def _number_reference(digits: str, read_as: ReadAs) -> CardReference:
    """Validate an extracted number: digits, length, bank card, then the product's format
    (our own numbers, 12-19 digits with a valid check digit, pass without looking)."""
    if not _DIGITS.fullmatch(digits):
        raise InvalidCardNumber()
    if not SHORTEST_NUMBER <= len(digits) <= MAX_LENGTH:
        raise InvalidCardNumber(
            _("A card number has %(min)d to %(max)d digits; %(read)d were read.")
            % {"min": SHORTEST_NUMBER, "max": MAX_LENGTH, "read": len(digits)}
        )
    if looks_like_payment_card(digits):
        raise PaymentCardRefused()
    if len(digits) >= MIN_LENGTH and is_luhn_valid(digits):
        return CardReference(kind="number", value=digits, read_as=read_as)
    fitting = [f for f in _formats() if f.fits(digits)]
    if any(not f.check_digit or is_luhn_valid(digits) for f in fitting):
        return CardReference(kind="number", value=digits, read_as=read_as)
    if fitting or len(digits) >= MIN_LENGTH:
        raise InvalidCardNumber(_("The check digit is wrong: the number was mistyped or misread."))
    raise InvalidCardNumber(
        _("No card here has a number of %(read)d digits like this one.") % {"read": len(digits)}
    )


def _number_from_tracks(text: str) -> str:
    """The PAN from Track 1 and/or Track 2 data (either, or Track 1 followed by Track 2).

    A bank card is refused here already if either track carries one, so that a
    disagreement between tracks cannot hide it behind a different error.
    """
    numbers: list[str] = []
    if first := _TRACK1.match(text):
        numbers.append(first.group(1).replace(" ", ""))
    if second := _TRACK2.search(text) or _TRACK2_BARE.match(text):
        numbers.append(second.group(1))
    if not numbers:
        raise UnreadableInput(_UNREADABLE_SWIPE)
    if any(looks_like_payment_card(number) for number in numbers):
        raise PaymentCardRefused()
    if len(set(numbers)) > 1:
        raise UnreadableInput(_TRACKS_DISAGREE)
    return numbers[0]


def _number_from_url(text: str) -> str:
    """The number from a card URL: path ending in ``/c/<digits>`` or query ``card=<digits>``."""
    try:
        parts = urlsplit(text)
        query = parse_qs(parts.query)
    except ValueError:  # e.g. a malformed IPv6 host; never chain (it may quote the input)
        parts = None
    if parts is None:
        raise UnreadableInput(_UNREADABLE_SCAN)
    if match := _URL_PATH_CARD.search(parts.path):
        return match.group(1)
    values = set(query.get("card", []))
    if len(values) != 1:
        raise UnreadableInput(_UNREADABLE_SCAN)
    return values.pop()


def normalize_uid(raw: str) -> str:
    """An RFID UID as 8 upper-case hex characters.

    Readers type the 4-byte UID either as 10 decimal digits ("0012345678") or
    as 8 hex characters ("00bc614e"); both give "00BC614E", so one stored alias
    matches whichever reader model the store has.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if _UID_DECIMAL.fullmatch(text) and int(text) < 2**32:
        return f"{int(text):08X}"
    if _UID_HEX.fullmatch(text):
        return text.upper()
    raise UnreadableInput(
        _("That is not an RFID card UID (10 decimal digits or 8 hex characters).")
    )


def _require_digits(number: str) -> None:
    if not isinstance(number, str) or not _DIGITS.fullmatch(number):
        raise ValueError("A card number must be a string of ASCII digits.")


def barcode_value(number: str) -> str:
    """What our printed barcodes encode (the MC prefix tells it apart from typed digits)."""
    _require_digits(number)
    return f"MC{number}"


def qr_payload(number: str) -> str:
    """What our printed QR codes encode."""
    _require_digits(number)
    return f"membercard:card:{number}"


def track2(number: str, expiry_yymm: str = "9912") -> str:
    """ISO 7813 Track 2 data for a card manufacturer's encoding file."""
    _require_digits(number)
    if not re.fullmatch(r"[0-9]{4}", expiry_yymm, re.ASCII):
        raise ValueError("The expiry must be 4 ASCII digits, YYMM.")
    return f";{number}={expiry_yymm}?"


def track1(number: str, name: str = "MEMBER", expiry_yymm: str = "9912") -> str:
    """ISO 7813 Track 1 data for a card manufacturer's encoding file."""
    _require_digits(number)
    if not re.fullmatch(r"[0-9]{4}", expiry_yymm, re.ASCII):
        raise ValueError("The expiry must be 4 ASCII digits, YYMM.")
    # Track 1 name: 2-26 characters from the 6-bit set, no sentinels or separator.
    if not re.fullmatch(r"[ A-Z0-9/.\-']{2,26}", name, re.ASCII):
        raise ValueError("The track 1 name must be 2-26 upper-case letters, digits, space or /.-'")
    return f"%B{number}^{name}^{expiry_yymm}?"
