"""The manufacturer's number file: reading it in and checking it, line by line and against
the cards we have, before a batch is imported. Nothing is written here:
``membercard.inventory.services.batches`` decides what is stored. Nothing here ever repeats
a number that looks like a bank card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from membercard.cards import numbers
from membercard.cards.models import Card, CardProduct
from membercard.cards.reader import normalize_uid
from membercard.core.errors import DomainError
from membercard.inventory.errors import BatchImportRefused
from membercard.inventory.exports import READ_CHUNK

_FIELD_SPLIT = re.compile(r"[,;\t]")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+", re.ASCII)
_NUMBER_NAMES = {"number", "card_number", "card_no", "cardno", "card", "no", "卡号"}
_UID_NAMES = {"rfid_uid", "uid", "rfid", "chip_uid", "rfid_id"}
# English here (tests and the CLI compare it); translated when a problem is reported.
BANK_CARD = gettext_noop("looks like a bank card: refused, and not repeated here")


@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str
    uid: str | None


def _fields(raw: str) -> list[str]:
    fields = [field.strip().strip('"').strip() for field in _FIELD_SPLIT.split(raw)]
    while len(fields) > 1 and not fields[-1]:
        fields.pop()
    return fields


def _header_columns(fields: list[str]) -> tuple[int | None, int | None]:
    names = [re.sub(r"[\s-]+", "_", field.lower()) for field in fields]
    number = next((i for i, name in enumerate(names) if name in _NUMBER_NAMES), None)
    uid = next((i for i, name in enumerate(names) if name in _UID_NAMES), None)
    return number, uid


def number_problem(value: str, product: CardProduct) -> str | None:
    """Why ``value`` cannot be one of ``product``'s card numbers, or None."""
    compact = value.replace(" ", "").replace("-", "")
    if _DIGITS.fullmatch(compact) and numbers.looks_like_payment_card(compact):
        return _(BANK_CARD)
    if not value:
        return _("no card number")
    if _SCIENTIFIC.fullmatch(value):
        return _("a spreadsheet turned the number into 1.2E+15 form: export it as text")
    if not _DIGITS.fullmatch(value):
        return _("a card number has digits only")
    if len(value) != product.number_length:
        return _("%(digits)d digits, but %(product)s numbers have %(length)d") % {
            "digits": len(value),
            "product": product.code,
            "length": product.number_length,
        }
    if not value.startswith(product.number_prefix):
        return _("does not start with the product prefix %(prefix)s") % {
            "prefix": product.number_prefix
        }
    if product.number_check_digit and not numbers.is_luhn_valid(value):
        return _("the check digit is wrong")
    return None


def _uid(value: str) -> tuple[str | None, str | None]:
    """(normalised UID, problem) for an RFID UID field; empty means no UID."""
    if not value:
        return None, None
    problem = None
    try:
        return normalize_uid(value), None
    except DomainError:
        problem = _("the RFID UID is neither 8 hex characters nor 10 decimal digits")
    return None, problem


def parse_manufacturer_csv(
    text: str, product: CardProduct
) -> tuple[list[ImportRow], list[dict[str, object]]]:
    """The good rows and a problem per bad line (``{"line": n, "problem": "..."}``) of the
    manufacturer's file: columns number and optional rfid_uid, comma, semicolon or tab
    separated, an optional header row (which may name the columns in another order and add
    others), blank lines skipped. Lines are numbered as in the file. Checks within the file
    only; the caller checks the database."""
    rows: list[ImportRow] = []
    problems: list[dict[str, object]] = []
    columns: tuple[int, int | None] | None = None  # (number, uid) once a header named them
    first_numbers: dict[str, int] = {}
    first_uids: dict[str, int] = {}
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line, raw in enumerate(lines, start=1):
        fields = _fields(raw)
        if fields == [""]:
            continue
        if not rows and not problems and columns is None and not re.search(r"[0-9]", fields[0]):
            number_at, uid_at = _header_columns(fields)
            if number_at is None:
                problems.append({"line": line, "problem": _("the header names no number column")})
                return [], problems
            columns = (number_at, uid_at)
            continue
        found, number, uid = _read_row(fields, columns, product)
        if not found and number in first_numbers:
            found.append(_("the same number as line %(line)d") % {"line": first_numbers[number]})
        if not found and uid and uid in first_uids:
            found.append(_("the same RFID UID as line %(line)d") % {"line": first_uids[uid]})
        problems += [{"line": line, "problem": problem} for problem in found]
        if not found:
            first_numbers[number] = line
            if uid:
                first_uids[uid] = line
            rows.append(ImportRow(line, number, uid))
    return rows, problems


def _read_row(
    fields: list[str], columns: tuple[int, int | None] | None, product: CardProduct
) -> tuple[list[str], str, str | None]:
    """(problems, number, normalised UID) of one line's fields."""
    if columns is None and len(fields) > 2:
        return [_("too many columns: expected number and an optional rfid_uid")], "", None
    number_at, uid_at = columns or (0, 1)
    number = fields[number_at] if number_at < len(fields) else ""
    found = [problem] if (problem := number_problem(number, product)) else []
    uid, uid_problem = _uid(fields[uid_at] if uid_at is not None and uid_at < len(fields) else "")
    if uid_problem:
        found.append(uid_problem)
    return found, number, uid


def read_manufacturer_csv(
    text: str, product: CardProduct, *, max_rows: int, chunk: int = READ_CHUNK
) -> list[ImportRow]:
    """Every row of the manufacturer's file, checked in the file and against the cards we
    have; refuses the whole file (``BatchImportRefused`` listing every bad line) if any row
    is bad, if it is empty, or if it holds more than ``max_rows`` numbers."""
    rows, problems = parse_manufacturer_csv(text, product)
    problems += _taken(rows, chunk)
    if problems:
        problems.sort(key=lambda problem: problem["line"])
        bad_lines = len({problem["line"] for problem in problems})
        first = problems[0]
        raise BatchImportRefused(
            ngettext(
                "Line %(line)s: %(problem)s. Nothing was imported (%(count)d bad line).",
                "Line %(line)s: %(problem)s. Nothing was imported (%(count)d bad lines).",
                bad_lines,
            )
            % {"line": first["line"], "problem": first["problem"], "count": bad_lines},
            problems=problems,
        )
    if not rows:
        raise BatchImportRefused(_("The file holds no card numbers: nothing was imported."))
    _refuse_a_guessable_sequence(rows, product)
    if len(rows) > max_rows:
        raise BatchImportRefused(
            _(
                "The file holds %(rows)s card numbers; a batch holds at most %(most)s. "
                "Split it into several files."
            )
            % {"rows": f"{len(rows):,}", "most": f"{max_rows:,}"}
        )
    return rows


# This many numbers in a row (a neighbour's number is the next one) make a stored-value
# card guessable: its product must ask for a PIN to pay before such a file is imported.
GUESSABLE_RUN = 3


def _refuse_a_guessable_sequence(rows: list[ImportRow], product: CardProduct) -> None:
    if not product.has_stored_value or product.pin_required:
        return
    run = numbers.longest_run([row.number for row in rows], product.number_check_digit)
    if run >= GUESSABLE_RUN:
        raise BatchImportRefused(
            _(
                "These numbers run in sequence (%(run)s in a row): anyone holding one card "
                "could find the next. Make %(product)s ask for a PIN to pay first (product "
                "page), then import. Nothing was imported."
            )
            % {"run": f"{run:,}", "product": product.code}
        )


def _taken(rows: list[ImportRow], chunk: int) -> list[dict[str, object]]:
    """A problem for each row whose number or UID a card already has (one query per chunk)."""
    problems: list[dict[str, object]] = []
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        numbers_ = Card.objects.filter(number__in=[row.number for row in part])
        uids = Card.objects.filter(uid__in=[row.uid for row in part if row.uid])
        taken_numbers = set(numbers_.values_list("number", flat=True))
        taken_uids = set(uids.values_list("uid", flat=True))
        for row in part:
            if row.number in taken_numbers:
                problems.append({"line": row.line, "problem": _("a card with this number exists")})
            if row.uid in taken_uids:
                problems.append(
                    {"line": row.line, "problem": _("a card with this RFID UID exists")}
                )
    return problems
