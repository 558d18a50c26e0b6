"""A report table as CSV, XLSX (openpyxl) or PDF (reportlab). Amounts stay in minor units
in CSV and XLSX (for accountants' scripts, under the documented column names); the PDF is
for people: headings in the reader's language, money formatted. The notes (tie-out lines)
follow the rows."""

from __future__ import annotations

import datetime as dt
import io

from django.utils.translation import gettext as _

from membercard.core.exports import csv_writer, xlsx_append
from membercard.core.money import currency, format_minor
from membercard.core.pdf import ruled_table
from membercard.reports.tables import COLUMN_LABELS, MONEY_COLUMNS, Table

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def to_csv(table: Table, *, notes: bool = False) -> str:
    """Header and rows only by default (a clean table for scripts)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(row)
    if notes:
        for note in table.notes:
            writer.writerow([f"# {note}"])
    return out.getvalue()


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "report"
    xlsx_append(sheet, [table.title])
    sheet["A1"].font = Font(bold=True)
    xlsx_append(sheet, table.columns)
    for heading in sheet[2]:
        heading.font = Font(bold=True)
    for row in table.rows:
        xlsx_append(sheet, row)
    sheet.append([])
    for note in table.notes:
        xlsx_append(sheet, [note])
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf_text(column: str, value: object) -> str:
    """A figure as printed: money as money (the currency named once, in a note), dates in
    ISO form (a PDF runs no formulas, so no neutralising here)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int) and column in MONEY_COLUMNS:
        return format_minor(value, with_currency=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _heading(column: str) -> str:
    return str(COLUMN_LABELS.get(column, column.replace("_", " ")))


def _pdf_group(table: Table, columns: list[int]):
    """One printed table: the headings in the reader's language, then the rows."""
    from membercard.core.pdf import SMALL, SMALL_BOLD, SMALL_RIGHT, SMALL_RIGHT_BOLD, paragraph

    names = [table.columns[i] for i in columns]
    keep = min(2, len(table.columns))
    rows = [
        [
            paragraph(_heading(name), SMALL_BOLD if i < keep else SMALL_RIGHT_BOLD)
            for i, name in zip(columns, names, strict=True)
        ]
    ]
    for row in table.rows:
        rows.append(
            [
                paragraph(_pdf_text(name, row[i]), SMALL if i < keep else SMALL_RIGHT)
                for i, name in zip(columns, names, strict=True)
            ]
        )
    return ruled_table(rows, None)


def to_pdf(table: Table) -> bytes:
    """Landscape A4 in the active language; wide tables are cut into column groups, each
    repeating the first two columns (location, product), so every figure is readable when
    printed. Money is formatted (``4,800.00``); every font is embedded (``core/pdf.py``)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import Spacer

    from membercard.core.pdf import BASE, HEADING, document, paragraph

    out = io.BytesIO()
    doc = document(
        out, pagesize=landscape(A4), leftMargin=28, rightMargin=28, title=str(table.title)
    )
    story = [paragraph(table.title, HEADING), Spacer(1, 4)]
    if MONEY_COLUMNS.intersection(table.columns):
        story += [paragraph(_("Amounts in %(currency)s.") % {"currency": currency()}, BASE)]
        story += [Spacer(1, 4)]
    keep, per_group = 2, 10
    rest = list(range(keep, len(table.columns))) or [0]
    for start in range(0, len(rest), per_group):
        idx = sorted(
            set(range(min(keep, len(table.columns)))) | set(rest[start : start + per_group])
        )
        story += [_pdf_group(table, idx), Spacer(1, 10)]
    for note in table.notes:
        story.append(paragraph(str(note).replace("✓", "OK").replace("✗", "X"), BASE))
    doc.build(story)
    return out.getvalue()


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table).encode()
    if fmt == "xlsx":
        return to_xlsx(table)
    return to_pdf(table)
