"""A report table as CSV, XLSX (openpyxl) or PDF (reportlab). Amounts stay in minor units
in CSV and XLSX (for accountants' scripts); the notes (tie-out lines) follow the rows."""

from __future__ import annotations

import datetime as dt
import io

from membercard.core.exports import csv_writer, xlsx_append
from membercard.core.pdf import font_for
from membercard.reports.tables import Table

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


def _pdf_text(value: object) -> str:
    """A figure as printed (a PDF runs no formulas, so no neutralising here)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_pdf(table: Table) -> bytes:
    """Landscape A4; wide tables are cut into column groups, each repeating the first two
    columns (location, product), so every figure is readable when printed."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=28, rightMargin=28)
    styles = getSampleStyleSheet()
    title_style = styles["Heading2"]
    title_style.fontName = font_for(table.title)
    story = [Paragraph(table.title, title_style), Spacer(1, 6)]
    keep, per_group = 2, 10
    rest = list(range(keep, len(table.columns))) or [0]
    for start in range(0, len(rest), per_group):
        idx = list(range(min(keep, len(table.columns)))) + rest[start : start + per_group]
        idx = sorted(set(idx))
        data = [[table.columns[i].replace("_", " ") for i in idx]]
        data += [[_pdf_text(row[i]) for i in idx] for row in table.rows]
        pdf_table = PdfTable(data, repeatRows=1)
        style = [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ]
        for r, line in enumerate(data):
            for c, text in enumerate(line):
                if font_for(text) != "Helvetica":
                    style.append(("FONT", (c, r), (c, r), font_for(text), 7))
        pdf_table.setStyle(TableStyle(style))
        story += [pdf_table, Spacer(1, 10)]
    for note in table.notes:
        note_style = styles["Normal"]
        note_style.fontName = font_for(note)
        story.append(Paragraph(note.replace("✓", "OK").replace("✗", "X"), note_style))
    doc.build(story)
    return out.getvalue()


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(table).encode()
    if fmt == "xlsx":
        return to_xlsx(table)
    return to_pdf(table)
