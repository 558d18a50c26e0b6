"""Log and audit redaction: no bank-card data anywhere, our card numbers to their last four.

A card reader is a keyboard: whatever it reads lands in whichever field has the focus, so a
bank card swiped into the sign-in username, a search box or the counter's card field turns
up in URLs, form values, exception text and log lines. This module is the one place that
cleans such text:

* magstripe track data (Track 1 ``%B…^NAME^…?``, Track 2 ``;…=…?``, plain or URL-encoded
  as ``%25B``, ``%5E``, ``%3B``, ``%3D``, ``%3F``) is removed whole, since the
  discretionary data after the expiry date is as secret as the number;
* a run of 12 or more digits (groups of 3+ digits split by spaces, dashes, ``+`` or ``%20``
  allowed) that starts in
  a payment-card range is removed; any other such run (our card numbers) is masked to its
  last four digits (``••••1234``), enough to tell cards apart in a log or audit row.

Shorter digit runs (amounts, ids, dates, ports) are left alone: every payment-card number
and every one of our card numbers has at least 12 digits (see ``membercard.cards.numbers``).

``mask_card_data`` is the function; ``CardDataFilter`` applies it to every log record
(message, arguments, exception and stack text); ``LOGGING`` in settings and the gunicorn
logger class of ``membercard serve`` install it. ``holds_bank_card`` is the rule by which
``web/middleware_input.py`` refuses a swiped bank card in any input. The module loads with
the stdlib only (the log configuration imports it before Django is set up) and, being in
``core``, imports nothing from the layers above: its payment-card rule is a deliberately
broad superset of the exact brand table in ``membercard.cards.numbers`` (a test keeps it so).
"""

from __future__ import annotations

import logging
import re

BANK_CARD_PLACEHOLDER = "[card data removed]"
MASK = "••••"

# Separators as they appear in text and in (possibly doubly) URL-encoded paths and queries.
_PCT = r"%(?:25){0,2}"  # "%", "%25" (encoded once more), "%2525"
_CARET = rf"(?:\^|{_PCT}5[Ee])"
_EQUALS = rf"(?:=|{_PCT}3[Dd])"
_END = rf"(?:\?|{_PCT}3[Ff])"
_SPACE = rf"(?:[ +\-]|{_PCT}20)"

# Track 1: [%]B <number> ^ <name> ^ <expiry, service code, discretionary data> [?]
# The start sentinel is optional (a reader may drop it, a form may eat the "%").
_TRACK1 = re.compile(
    rf"(?:{_PCT})?[Bb](?P<number>\d{{12,19}}){_CARET}.{{0,80}}?{_CARET}[^\s&\"'<>?]*{_END}?"
)
# Track 2: [;] <number> = <expiry, service code, discretionary data> [?]
_TRACK2 = re.compile(rf"(?:;|{_PCT}3[Bb])?(?P<number>\d{{12,19}}){_EQUALS}\d[^\s&\"'<>?]*{_END}?")
# Canonical UUIDs (idempotency keys, request ids) are kept as they are.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Digits, or groups of 3+ digits split by spaces or dashes as printed on cards and typed by
# people ("4111 1111 1111 1111", "3782-822463-10005"); at least 12 digits in all.
_LONG_DIGITS = re.compile(rf"(?P<uuid>\b{_UUID}\b)|(?P<number>\d{{3,}}(?:{_SPACE}\d{{3,}})*)")
_ENCODED_SPACE = re.compile(rf"{_PCT}20")
# Pre-printed cards may carry short numbers (6 to 11 digits, ``cards.numbers``): too short
# to tell from other numbers in free text, they are masked where a card number goes, a path
# segment (/api/v1/cards/10000001) or a card-named query argument (?card=10000001).
_SHORT_REFERENCE = re.compile(
    r"(?:(?<=/)|(?<=card=)|(?<=card_number=)|(?<=new_card=)|(?<=number=))"
    r"(?P<number>\d{6,11})(?=[/?&#\s\"'<>]|$)",
    re.IGNORECASE,
)
_NOT_DIGIT = re.compile(r"\D")
_QUICK = re.compile(r"\d{4}")
MIN_DIGITS = 12
# Payment-card numbers start with a major industry identifier 2-6 (ISO/IEC 7812: airlines,
# travel, banking) or with the 81/82 (UnionPay, RuPay) and 9792 (Troy) blocks. Broader than
# the brand table in cards.numbers on purpose: removing one of our numbers costs nothing.
_PAYMENT_START = re.compile(r"[2-6]|8[12]|9792")


def could_be_payment_card(digits: str) -> bool:
    """Whether a digit string starts where a payment-card (bank card) number may start."""
    return _PAYMENT_START.match(digits) is not None


def mask_number(number: str) -> str:
    """A number as it may be shown: removed if it could be a bank card (12 or more digits
    starting in a payment-card range), else its last four (``••••1234``).

    Spaces, dashes and URL-encoded spaces between the digits are ignored."""
    digits = _NOT_DIGIT.sub("", _ENCODED_SPACE.sub(" ", number))
    if len(digits) >= MIN_DIGITS and could_be_payment_card(digits):
        return BANK_CARD_PLACEHOLDER
    return f"{MASK}{digits[-4:]}" if digits else MASK


def mask_reference(value: str) -> str:
    """A value that *is* a card reference (a field named like a card number, a URL's card
    argument) reduced to its last four digits; of a magstripe track, the last four of the
    card number in it; a bank card is removed. Unlike ``mask_card_data`` it keeps nothing
    else of the value."""
    value = str(value)
    track = _TRACK1.search(value) or _TRACK2.search(value)
    return mask_number(track.group("number") if track else value)


def _mask_track(match: re.Match[str]) -> str:
    # Our own cards carry tracks too: a track keeps the last four of our number only.
    return mask_number(match.group("number"))


def _mask_run(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.group("uuid") or len(_NOT_DIGIT.sub("", _ENCODED_SPACE.sub(" ", text))) < MIN_DIGITS:
        return text
    return mask_number(text)


def mask_card_data(text: str) -> str:
    """``text`` with track data and bank-card numbers removed and our card numbers masked.

    Safe on any string (a log line, a URL, a username, an exception message); returns it
    unchanged when it holds nothing that looks like card data.
    """
    if not isinstance(text, str):
        text = str(text)
    if not _QUICK.search(text):
        return text
    text = _TRACK1.sub(_mask_track, text)
    text = _TRACK2.sub(_mask_track, text)
    text = _SHORT_REFERENCE.sub(_mask_track, text)
    return _LONG_DIGITS.sub(_mask_run, text)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _bank_card_run(run: str) -> bool:
    digits = _NOT_DIGIT.sub("", _ENCODED_SPACE.sub(" ", run))
    return 13 <= len(digits) <= 19 and could_be_payment_card(digits) and _luhn_valid(digits)


def holds_bank_card(text: str) -> bool:
    """Whether typed input *is* a swiped bank card: track data whose number starts in a
    payment-card range, or a 13-19 digit number in such a range with a valid check digit.

    Narrower than what ``mask_card_data`` removes from logs (where removing too much costs
    nothing): input is refused on this, so a long mobile number or an order number that
    merely starts with a 4 must still be accepted."""
    if not isinstance(text, str) or not _QUICK.search(text):
        return False
    for track in (*_TRACK1.finditer(text), *_TRACK2.finditer(text)):
        if could_be_payment_card(track.group("number")):
            return True
    # A track of one of our cards is fine, expiry and discretionary digits included.
    rest = _TRACK2.sub(" ", _TRACK1.sub(" ", text))
    return any(
        match.group("number") and _bank_card_run(match.group(0))
        for match in _LONG_DIGITS.finditer(rest)
    )


class CardDataFilter(logging.Filter):
    """Rewrites every record it sees so no handler can write card data.

    The message is rendered with its arguments first (a number may hide in either), then
    cleaned; exception and stack text are rendered and cleaned too. The record is changed
    in place, so one filter on a handler or logger protects all formatters downstream.
    Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    """Clean ``record`` in place (idempotent: a record cleaned once is skipped)."""
    if getattr(record, "_card_data_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what can be seen, cleaned
        message = f"{record.msg!s} {record.args!r}"
    record.msg = mask_card_data(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_card_data(record.exc_text)
    # Formatters print exc_text once it is set; the traceback objects (frames, locals, the
    # exception's own arguments) go, so no handler can render them uncleaned.
    record.exc_info = None
    if record.stack_info:
        record.stack_info = mask_card_data(record.stack_info)
    record._card_data_redacted = True
