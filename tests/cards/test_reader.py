"""The counter input parser: every reader format round-trips, bank cards never leak.

Pure Python: runs without Django settings.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from membercard.cards import reader
from membercard.cards.numbers import MAX_LENGTH, MIN_LENGTH, luhn_check_digit
from membercard.cards.reader import (
    CardReference,
    ReadAs,
    barcode_value,
    normalize_uid,
    parse_reader_input,
    qr_payload,
    track1,
    track2,
)
from membercard.core.errors import InvalidCardNumber, PaymentCardRefused, UnreadableInput

DIGITS = "0123456789"
SAFE_PREFIXES = ["1", "7", "0", "88", "9100", "70", "12345678"]
DOMAIN_ERRORS = (InvalidCardNumber, PaymentCardRefused, UnreadableInput)
ENTER = st.sampled_from(["", "\r", "\n", "\r\n", " ", "\t", " \r\n"])
NUMBER = "8812345678901232"  # prefix 88, 16 digits, valid Luhn
PLUGGED_IN = reader._formats


def setup_module() -> None:
    """The reader alone: no product formats (they come from the database; their effect is
    tested in test_preprinted_numbers.py)."""
    reader.use_number_formats(tuple)


def teardown_module() -> None:
    reader.use_number_formats(PLUGGED_IN)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    """A number any safe card product could issue: prefix + digits + Luhn digit."""
    prefix = draw(st.sampled_from(SAFE_PREFIXES))
    length = draw(st.integers(min_value=max(MIN_LENGTH, len(prefix) + 9), max_value=MAX_LENGTH))
    random_count = length - len(prefix) - 1
    payload = prefix + draw(st.text(alphabet=DIGITS, min_size=random_count, max_size=random_count))
    return payload + luhn_check_digit(payload)


@st.composite
def with_separators(draw: st.DrawFn, number: str) -> str:
    """``number`` with random spaces and dashes between (and around) its digits."""
    separators = draw(
        st.lists(
            st.sampled_from(["", "", " ", "-", "  ", " - "]),
            min_size=len(number) + 1,
            max_size=len(number) + 1,
        )
    )
    return (
        "".join(sep + digit for sep, digit in zip(separators, number, strict=False))
        + (separators[-1])
    )


@st.composite
def bank_card_numbers(draw: st.DrawFn) -> str:
    """UnionPay-like 16 or 19 digit numbers, with a valid check digit or not."""
    length = draw(st.sampled_from([16, 19]))
    payload = "62" + draw(st.text(alphabet=DIGITS, min_size=length - 3, max_size=length - 3))
    if draw(st.booleans()):
        return payload + luhn_check_digit(payload)
    return payload + draw(st.sampled_from(DIGITS))


def test_number_fixture_is_valid() -> None:
    assert parse_reader_input(NUMBER) == CardReference("number", NUMBER, ReadAs.KEYED)


# Round trips -------------------------------------------------------------------


@given(st.data(), valid_numbers(), ENTER)
def test_plain_digits_with_separators_parse_as_keyed(
    data: st.DataObject, number: str, enter: str
) -> None:
    typed = data.draw(with_separators(number))
    assert parse_reader_input(typed + enter) == CardReference("number", number, ReadAs.KEYED)


@given(valid_numbers(), ENTER)
def test_track1_round_trip(number: str, enter: str) -> None:
    ref = parse_reader_input(track1(number) + enter)
    assert ref == CardReference("number", number, ReadAs.SWIPED)


@given(valid_numbers(), ENTER)
def test_track2_round_trip(number: str, enter: str) -> None:
    ref = parse_reader_input(track2(number, "2712") + enter)
    assert ref == CardReference("number", number, ReadAs.SWIPED)


@given(valid_numbers(), ENTER)
def test_both_tracks_round_trip(number: str, enter: str) -> None:
    ref = parse_reader_input(track1(number, "DOE/JANE") + track2(number) + enter)
    assert ref == CardReference("number", number, ReadAs.SWIPED)


@given(valid_numbers())
def test_tracks_are_tolerated_without_end_sentinel_or_start_sentinel(number: str) -> None:
    expected = CardReference("number", number, ReadAs.SWIPED)
    assert parse_reader_input(track1(number).rstrip("?")) == expected
    assert parse_reader_input(track2(number).rstrip("?")) == expected
    assert parse_reader_input(track2(number)[1:]) == expected  # no ";"
    assert parse_reader_input(f"%E?{track2(number)}\r") == expected  # track 1 read error


@given(valid_numbers(), ENTER)
def test_barcode_round_trip(number: str, enter: str) -> None:
    assert barcode_value(number) == f"MC{number}"
    expected = CardReference("number", number, ReadAs.SCANNED)
    assert parse_reader_input(barcode_value(number) + enter) == expected
    assert parse_reader_input(barcode_value(number).lower() + enter) == expected  # Caps Lock


@given(valid_numbers(), ENTER)
def test_qr_round_trip(number: str, enter: str) -> None:
    assert qr_payload(number) == f"membercard:card:{number}"
    expected = CardReference("number", number, ReadAs.SCANNED)
    assert parse_reader_input(qr_payload(number) + enter) == expected


@given(
    valid_numbers(),
    st.sampled_from(
        [
            "https://cards.example.com/c/{n}",
            "http://cards.example.com/c/{n}/",
            "https://example.com/shop/7/c/{n}",
            "HTTPS://EXAMPLE.COM/c/{n}",
            "https://example.com/lookup?card={n}",
            "https://example.com/?x=1&card={n}#top",
        ]
    ),
    ENTER,
)
def test_url_round_trip(number: str, template: str, enter: str) -> None:
    ref = parse_reader_input(template.format(n=number) + enter)
    assert ref == CardReference("number", number, ReadAs.SCANNED)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/c/",
        "https://example.com/c/abc",
        "https://example.com/c/12/extra",
        "https://example.com/?card=1&card=2",
        "https://example.com/",
        "http://[::1",
        "https://example.com/?card=",
    ],
)
def test_urls_without_a_card_are_refused(url: str) -> None:
    with pytest.raises((UnreadableInput, InvalidCardNumber)):
        parse_reader_input(url)


# UIDs ------------------------------------------------------------------------


def test_uid_examples() -> None:
    assert normalize_uid("0012345678") == "00BC614E"
    assert normalize_uid("00bc614e") == "00BC614E"
    assert normalize_uid(" 00BC614E\r\n") == "00BC614E"
    expected = CardReference("uid", "00BC614E", ReadAs.TAPPED)
    assert parse_reader_input("0012345678\r\n") == expected
    assert parse_reader_input("00bc614e\n") == expected
    assert parse_reader_input("12345678") == CardReference("uid", "12345678", ReadAs.TAPPED)


@given(st.integers(min_value=0, max_value=2**32 - 1), ENTER)
def test_uid_decimal_and_hex_agree(uid: int, enter: str) -> None:
    expected = CardReference("uid", f"{uid:08X}", ReadAs.TAPPED)
    assert parse_reader_input(f"{uid:010d}" + enter) == expected
    assert parse_reader_input(f"{uid:08x}" + enter) == expected
    assert parse_reader_input(f"{uid:08X}" + enter) == expected
    assert normalize_uid(f"{uid:010d}") == normalize_uid(f"{uid:08x}") == f"{uid:08X}"


@pytest.mark.parametrize(
    "raw", ["4294967296", "9999999999", "00bc614", "00bc614e0", "0xbc614e", ""]
)
def test_normalize_uid_refuses_non_uids(raw: str) -> None:
    with pytest.raises(UnreadableInput):
        normalize_uid(raw)


def test_ten_digits_above_32_bits_is_not_a_uid_nor_a_number() -> None:
    with pytest.raises(InvalidCardNumber):
        parse_reader_input("4294967296")


# hint --------------------------------------------------------------------------


@pytest.mark.parametrize("hint", list(ReadAs))
def test_hint_sets_read_as_for_plain_digits(hint: ReadAs) -> None:
    assert parse_reader_input(NUMBER, hint=hint).read_as is hint
    assert parse_reader_input("8812 3456-7890 1232\r\n", hint=hint).read_as is hint


@pytest.mark.parametrize("hint", [ReadAs.KEYED, ReadAs.TAPPED, ReadAs.SCANNED])
def test_hint_does_not_override_other_formats(hint: ReadAs) -> None:
    assert parse_reader_input(track2(NUMBER), hint=hint).read_as is ReadAs.SWIPED
    assert parse_reader_input(track1(NUMBER), hint=hint).read_as is ReadAs.SWIPED
    assert parse_reader_input(barcode_value(NUMBER), hint=hint).read_as is ReadAs.SCANNED
    assert parse_reader_input(qr_payload(NUMBER), hint=hint).read_as is ReadAs.SCANNED
    assert parse_reader_input("0012345678", hint=hint).read_as is ReadAs.TAPPED


# Validation --------------------------------------------------------------------


def test_wrong_check_digit_is_invalid_card_number() -> None:
    with pytest.raises(InvalidCardNumber) as info:
        parse_reader_input("8812345678901238")
    assert info.value.code == "invalid_card_number"
    assert info.value.message == "The check digit is wrong: the number was mistyped or misread."


@given(valid_numbers(), st.data())
def test_single_mistyped_digit_is_refused_in_every_format(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from([d for d in DIGITS if d != number[position]]))
    mistyped = number[:position] + replacement + number[position + 1 :]
    for raw in (mistyped, track2(mistyped), barcode_value(mistyped), qr_payload(mistyped)):
        try:
            parse_reader_input(raw)
        except (InvalidCardNumber, PaymentCardRefused):
            continue  # a mistyped first digit may land in a bank range: refused too
        pytest.fail("a mistyped number was accepted")


@pytest.mark.parametrize("raw", ["12345678901", "1234 5678", "1" * 20, "88123456789012345678"])
def test_digit_input_of_wrong_length_is_invalid_card_number(raw: str) -> None:
    with pytest.raises(InvalidCardNumber) as info:
        parse_reader_input(raw)
    assert raw.replace(" ", "") not in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "\r\n",
        "hello",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662\u0663",
        "\uff18\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12\uff13\uff17",
        "MC",
        "%",
        ";",
        "%B^^?",
        "==",
    ],
)
def test_junk_is_refused(raw: str) -> None:
    with pytest.raises((UnreadableInput, InvalidCardNumber)):
        parse_reader_input(raw)


def test_over_long_input_is_unreadable() -> None:
    with pytest.raises(UnreadableInput):
        parse_reader_input(" " * 500 + NUMBER)


def test_tracks_that_disagree_are_unreadable() -> None:
    other = "8812345678901240"
    with pytest.raises(UnreadableInput):
        parse_reader_input(track1(NUMBER) + track2(other))


# Bank cards ----------------------------------------------------------------------


def _assert_nothing_leaks(exc: BaseException, number: str) -> None:
    rendered = [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "extra", {}))]
    rendered.append(repr(getattr(exc, "message", "")))
    for text in rendered:
        assert number not in text
        assert not re.search(r"[0-9]{4}", text), text
    assert exc.__cause__ is None
    assert exc.__context__ is None


@given(bank_card_numbers(), ENTER, st.data())
def test_bank_cards_are_refused_without_echo(number: str, enter: str, data: st.DataObject) -> None:
    forms = [
        number,
        data.draw(with_separators(number)),
        track1(number, "CARDHOLDER/JANE"),
        track2(number, "2812"),
        track1(number) + track2(number),
        track2(number)[1:].rstrip("?"),
        barcode_value(number),
        qr_payload(number),
        f"https://example.com/c/{number}",
    ]
    for raw in forms:
        with pytest.raises(PaymentCardRefused) as info:
            parse_reader_input(raw + enter)
        assert info.value.message == PaymentCardRefused.default_message
        assert info.value.extra == {}
        _assert_nothing_leaks(info.value, number)


def test_bank_card_in_one_track_is_refused_even_if_other_track_is_ours() -> None:
    bank = "6212345678901234"
    for raw in (track1(NUMBER) + track2(bank), track1(bank) + track2(NUMBER)):
        with pytest.raises(PaymentCardRefused) as info:
            parse_reader_input(raw)
        _assert_nothing_leaks(info.value, bank)


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5555555555554444", "2221000000000009", "378282246310005"]
)
def test_well_known_test_cards_are_refused(number: str) -> None:
    with pytest.raises(PaymentCardRefused):
        parse_reader_input(number)
    with pytest.raises(PaymentCardRefused):
        parse_reader_input(f"%B{number}^TEST/CARD^2512101000000000000?;{number}=25121010000?\r")


# Fuzzing -------------------------------------------------------------------------


def _parse_or_domain_error(raw: str) -> None:
    try:
        result = parse_reader_input(raw)
    except DOMAIN_ERRORS as exc:
        # Error texts are constants: no digit run of the input may show up in them.
        for run in re.findall(r"[0-9]{4,}", raw):
            assert run not in str(exc)
        assert exc.__context__ is None
        return
    assert isinstance(result, CardReference)
    assert result.kind in ("number", "uid")
    assert isinstance(result.read_as, ReadAs)
    if result.kind == "number":
        assert re.fullmatch(r"[0-9]{12,19}", result.value)
    else:
        assert re.fullmatch(r"[0-9A-F]{8}", result.value)


@given(st.text())
def test_fuzz_text(raw: str) -> None:
    _parse_or_domain_error(raw)


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_latin1_bytes(raw: str) -> None:
    _parse_or_domain_error(raw)


@given(
    st.sampled_from(
        ["", "%B", "%b", ";", "MC", "mc", "membercard:card:", "https://x/c/", "http://", "0x"]
    ),
    st.text(alphabet=st.sampled_from(list("0123456789 -^=?;%/:.&cardBMC\r\n")), max_size=60),
    st.sampled_from(["", "?", "^X^2512?", "=2512?", "\r\n"]),
)
def test_fuzz_reader_like_input(head: str, body: str, tail: str) -> None:
    _parse_or_domain_error(head + body + tail)


@given(st.text(alphabet=DIGITS + " -", max_size=40))
def test_fuzz_digits_with_separators(raw: str) -> None:
    _parse_or_domain_error(raw)
