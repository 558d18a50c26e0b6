"""The one redaction rule (``membercard.core.redaction``) and its installation on every logger:
bank-card numbers and magstripe tracks are removed, our card numbers masked to their last four,
in messages, arguments, exception text, plain or URL-encoded."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings

from membercard.cards import numbers
from membercard.core.redaction import (
    BANK_CARD_PLACEHOLDER,
    CardDataFilter,
    could_be_payment_card,
    mask_card_data,
    mask_reference,
)

VISA = "4556737586899855"
OURS = "8812345678901234"
TRACK1 = f"%B{VISA}^DOE/JOHN^2512101000000000123?"
TRACK2 = f";{VISA}=25121010000012300?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VISA, BANK_CARD_PLACEHOLDER),
        ("4556 7375 8689 9855", BANK_CARD_PLACEHOLDER),
        ("4556-7375-8689-9855", BANK_CARD_PLACEHOLDER),
        ("378282246310005", BANK_CARD_PLACEHOLDER),  # Amex, 15 digits
        ("6212345678901234567", BANK_CARD_PLACEHOLDER),  # UnionPay, 19 digits
        ("4556737586899856", BANK_CARD_PLACEHOLDER),  # a bank card misread by one digit
        (TRACK1, BANK_CARD_PLACEHOLDER),
        (TRACK2, BANK_CARD_PLACEHOLDER),
        (f"user {TRACK1} failed", f"user {BANK_CARD_PLACEHOLDER} failed"),
        # URL-encoded, as in an access log line or a stored path.
        (
            f"GET /counter/card/?card=%25B{VISA}%5EDOE%2FJOHN%5E2512101%3F HTTP/1.1",
            f"GET /counter/card/?card={BANK_CARD_PLACEHOLDER} HTTP/1.1",
        ),
        (
            f"/hq/cards/?q=%3B{VISA}%3D2512101%3F&page=2",
            f"/hq/cards/?q={BANK_CARD_PLACEHOLDER}&page=2",
        ),
        (f"q={VISA[:4]}+{VISA[4:8]}+{VISA[8:12]}+{VISA[12:]}", f"q={BANK_CARD_PLACEHOLDER}"),
        (f"q={VISA[:4]}%20{VISA[4:8]}%20{VISA[8:12]}%20{VISA[12:]}", f"q={BANK_CARD_PLACEHOLDER}"),
        # A reader that drops the start sentinel.
        (f"B{VISA}^DOE/JOHN^2512101?", BANK_CARD_PLACEHOLDER),
        # Our own numbers: the last four, also inside a track (our cards carry tracks too).
        (OURS, "••••1234"),
        ("8812 3456 7890 1234", "••••1234"),
        (
            f"Not Found: /api/v1/cards/{OURS}/operations",
            "Not Found: /api/v1/cards/••••1234/operations",
        ),
        (f";{OURS}=4912?", "••••1234"),
        (f"%B{OURS}^MEMBER/A^4912?", "••••1234"),
    ],
)
def test_card_data_is_removed_and_our_numbers_masked(text, expected):
    assert mask_card_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "amount 123456 at 2026-12-07 16:24:49,123 (operation 98765)",
        "mobile 13800138000, port 8000, 10 20 30 40 50 60 70",
        "key 550e8400-e29b-41d4-a716-446655440000",
        "call 12345 at 10:30; ok?",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask_card_data(text) == text


def test_the_payment_rule_covers_every_brand_range_of_cards_numbers():
    # core may not import cards; its broad rule must stay a superset of the exact table.
    for prefix in range(10_000):
        digits = f"{prefix:04d}" + "0" * 12
        if numbers.looks_like_payment_card(digits):
            assert could_be_payment_card(digits), digits


def test_our_product_prefixes_are_masked_not_removed():
    number = numbers.generate_number("88", 16)
    assert mask_card_data(number) == f"••••{number[-4:]}"
    assert mask_reference(f"MC{number}") == f"••••{number[-4:]}"


def test_a_reference_keeps_only_the_last_four():
    assert mask_reference(OURS) == "••••1234"
    assert mask_reference("12345") == "••••2345"
    assert mask_reference(TRACK2) == BANK_CARD_PLACEHOLDER


def _record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("membercard.test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_cleans_message_arguments_and_exception_text():
    try:
        raise ValueError(f"bad input {TRACK2} for {OURS}")
    except ValueError:
        import sys

        record = _record(
            "Not Found: %s (%r)", f"/api/v1/cards/{VISA}", {"q": TRACK1}, exc_info=sys.exc_info()
        )
    assert CardDataFilter().filter(record) is True
    text = logging.Formatter("%(message)s").format(record)
    assert VISA not in text and "DOE/JOHN" not in text and OURS not in text
    assert "Not Found: /api/v1/cards/[card data removed]" in text
    assert "ValueError: bad input [card data removed] for ••••1234" in text
    assert record.exc_info is None  # no handler can render the traceback objects uncleaned


def _all_handlers():
    loggers = [logging.getLogger()] + [
        item
        for item in logging.Logger.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    return [
        (logger.name, handler)
        for logger in loggers
        for handler in logger.handlers
        # pytest's own capture, and handlers that write nothing, are not production output.
        if type(handler).__module__ != "_pytest.logging"
        and not isinstance(handler, logging.NullHandler)
    ]


@pytest.fixture
def production_logs():
    """The settings' LOGGING, freshly applied, with every stream handler writing into one
    buffer (what production would print); the normal configuration is restored after."""
    logging.config.dictConfig(settings.LOGGING)
    stream = io.StringIO()
    for _, handler in _all_handlers():
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def test_every_handler_of_the_settings_logging_runs_the_filter(production_logs):
    handlers = _all_handlers()
    names = {name for name, _ in handlers}
    assert {"root", "django.server"} <= names
    for name, handler in handlers:
        assert any(isinstance(f, CardDataFilter) for f in handler.filters), (name, handler)


@pytest.mark.parametrize(
    ("logger_name", "message", "args"),
    [
        ("django.request", "Not Found: %s", (f"/hq/cards/{VISA}/",)),
        ("django.request", "Unprocessable Entity: %s", (f"/api/v1/cards/{VISA}",)),
        (
            "django.server",
            '"%s" %s %s',
            (f"GET /counter/card/?card=%25B{VISA}%5EDOE%2FJOHN%5E2512%3F HTTP/1.1", 200, 5),
        ),
        ("django.security.DisallowedHost", "Invalid HTTP_HOST header: %s", (TRACK2,)),
        ("membercard.api", "API error on %s %s", ("GET", f"/api/v1/cards/{TRACK1}")),
        ("axes.watch_login", "AXES: New login failure by %s.", ({"username": TRACK1},)),
    ],
)
def test_log_lines_of_django_and_our_loggers_carry_no_card_data(
    production_logs, logger_name, message, args
):
    logging.getLogger(logger_name).error(message, *args)

    written = production_logs.getvalue()
    assert written, "the record reached a configured handler"
    assert VISA not in written and "DOE/JOHN" not in written
    assert BANK_CARD_PLACEHOLDER in written


def test_what_a_swiped_bank_card_looks_like_in_typed_input():
    from membercard.core.redaction import holds_bank_card

    assert holds_bank_card(f"Li {TRACK1}")
    assert holds_bank_card(TRACK2)
    assert holds_bank_card(VISA)
    assert holds_bank_card("4111 1111 1111 1111")
    # Not a bank card: our numbers, mobiles (with a country code too), a number with a
    # wrong check digit, amounts.
    assert not holds_bank_card(f"card {OURS}, mobile 13800138000")
    # Our card's Track 2: its discretionary digits are no bank card (this one is Luhn-valid).
    assert not holds_bank_card(f";{OURS}=30121010000000000?")
    assert not holds_bank_card("+44 7911 123456")
    assert not holds_bank_card("4111111111111112")
    assert not holds_bank_card("150.00")


def test_an_api_problem_never_echoes_card_data():
    import json

    from membercard.api.errors import problem

    response = problem(
        422,
        "validation_error",
        f"input: not valid: {TRACK1}",
        errors=[{"loc": ["body", VISA], "msg": f"bad {TRACK2}"}],
        field=VISA,
    )

    body = json.loads(response.content)
    assert VISA not in response.content.decode()
    assert body["detail"] == f"input: not valid: {BANK_CARD_PLACEHOLDER}"
    assert body["field"] == BANK_CARD_PLACEHOLDER
