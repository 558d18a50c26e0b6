"""The files we send the card manufacturer for a batch: the production CSV and the proof
sheet PDF. Nothing here ever repeats a number that looks like a bank card. (The
manufacturer's own number file, which we read in, is ``manufacturer_files``.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Batch
from membercard.cards.reader import barcode_value, track2
from membercard.cards.states import CardState
from membercard.core.exports import csv_writer
from membercard.core.money import format_minor
from membercard.core.pdf import SANS, SANS_BOLD, canvas_options, font_for
from membercard.inventory.batch_steps import batch_steps

CSV_COLUMNS = ("number", "barcode", "track2", "rfid_uid")
READ_CHUNK = 5_000


def _printed_cards(batch: Batch):
    """The batch's cards to be made, in the order they were ordered (void ones are not)."""
    return batch.cards.exclude(state=CardState.VOID).order_by("pk")


# The production CSV ----------------------------------------------------------------------


def batch_csv(batch: Batch) -> str:
    """number, barcode value, Track 2 string and RFID UID of every card, for the printer."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = _printed_cards(batch).values_list("number", "uid").iterator(chunk_size=READ_CHUNK)
    for number, uid in rows:
        writer.writerow((number, barcode_value(number), track2(number), uid or ""))
    return out.getvalue()


# The proof sheet PDF ---------------------------------------------------------------------

MM = 72 / 25.4
MARGIN = 15 * MM
COLUMNS = 3
CELL_HEIGHT = 42.0
RUNNING_HEADER = 22.0
FOOTER = 18.0
FIRST_PAGE_HEADER = 152.0  # the particulars, then the steps with their signature lines
BAR_WIDTH = 0.75  # points per module, about 0.26 mm: comfortable for counter scanners
BAR_HEIGHT = 24.0


def _text(pdf, x: float, y: float, text: str, size: float, *, bold: bool = False) -> None:
    """Latin text in the kit's sans; text with Chinese (headings, product and supplier
    names) in its CJK font (``core/pdf.py``, both embedded)."""
    pdf.setFont(font_for(text, SANS_BOLD if bold else SANS), size)
    pdf.drawString(x, y, text)


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float

    @property
    def cell_width(self) -> float:
        return (self.width - 2 * MARGIN) / COLUMNS

    def rows(self, first: bool) -> int:
        room = self.height - 2 * MARGIN - RUNNING_HEADER - FOOTER
        return int((room - (FIRST_PAGE_HEADER if first else 0)) // CELL_HEIGHT)

    def pages(self, cards: int) -> int:
        first, later = self.rows(True) * COLUMNS, self.rows(False) * COLUMNS
        return 1 if cards <= first else 1 + -(-(cards - first) // later)


def batch_proof_pdf(batch: Batch, limit: int | None = None) -> bytes:
    """A proof sheet: the batch header, then every card (or the first ``limit``) as its
    Code 128 barcode with the number beneath, page numbers on every page; in the active
    language, the unit cost as money."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    cards = _printed_cards(batch)
    total = cards.count()
    shown = total if limit is None else max(0, min(limit, total))
    layout = _Layout(*A4)
    pages = layout.pages(shown)
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=1, invariant=1, **canvas_options())
    pdf.setTitle(_("Proof sheet %(number)s") % {"number": batch.document_number})
    pdf.setAuthor("membercard")
    page = 1
    _page_frame(pdf, batch, layout, page, pages)
    top = _first_page_header(pdf, batch, layout, shown, total)
    slots = layout.rows(True) * COLUMNS
    slot = 0
    numbers_ = cards.values_list("number", flat=True)[:shown].iterator(chunk_size=READ_CHUNK)
    for index, number in enumerate(numbers_, start=1):
        if slot == slots:
            pdf.showPage()
            page += 1
            _page_frame(pdf, batch, layout, page, pages)
            top, slots, slot = (
                layout.height - MARGIN - RUNNING_HEADER,
                layout.rows(False) * COLUMNS,
                0,
            )
        row, column = divmod(slot, COLUMNS)
        _card(
            pdf, layout, MARGIN + column * layout.cell_width, top - row * CELL_HEIGHT, number, index
        )
        slot += 1
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _page_frame(pdf, batch: Batch, layout: _Layout, page: int, pages: int) -> None:
    """The running header and the page number, on every page."""
    running = _("%(number)s  %(product)s (%(code)s)  proof sheet") % {
        "number": batch.document_number,
        "product": batch.product.name,
        "code": batch.product.code,
    }
    _text(pdf, MARGIN, layout.height - MARGIN - 10, running, 9)
    numbered = _("Page %(page)d of %(pages)d") % {"page": page, "pages": pages}
    pdf.setFont(font_for(numbered), 9)
    pdf.drawCentredString(layout.width / 2, MARGIN - 4, numbered)


def _first_page_header(pdf, batch: Batch, layout: _Layout, shown: int, total: int) -> float:
    """The batch's particulars on page 1; returns the top of the card grid."""
    y = layout.height - MARGIN - RUNNING_HEADER - 16
    title = _("Card proof sheet %(number)s") % {"number": batch.document_number}
    _text(pdf, MARGIN, y, title, 16, bold=True)
    lines = _particulars(batch, shown, total)
    for line in [*lines, "", *_signature_lines(batch)]:
        y -= 15
        _text(pdf, MARGIN, y, line, 10)
    return layout.height - MARGIN - RUNNING_HEADER - FIRST_PAGE_HEADER


def _particulars(batch: Batch, shown: int, total: int) -> list[str]:
    created, product = timezone.localtime(batch.created_at), batch.product
    shown_line = _("Shown: %(shown)s of %(total)s cards to be made") % {
        "shown": f"{shown:,}",
        "total": f"{total:,}",
    }
    return [
        _("Product: %(name)s (%(code)s)") % {"name": product.name, "code": product.code},
        _("Quantity: %(quantity)s cards   Source: %(source)s   Status: %(status)s")
        % {
            "quantity": f"{batch.quantity:,}",
            "source": batch.get_source_display(),
            "status": batch.get_status_display(),
        },
        _("Supplier: %(supplier)s   Date: %(date)s   Unit cost: %(cost)s")
        % {
            "supplier": batch.supplier or "-",
            "date": f"{created:%Y-%m-%d}",
            "cost": format_minor(batch.unit_cost_minor),
        },
        shown_line + ("" if shown == total else " " + _("(limited proof)")),
    ]


def _signature_lines(batch: Batch) -> list[str]:
    """Received, checked, made ready: who signed and when, or blank lines to sign on paper
    (each step by someone other than the step before it, ``services.batches.signoffs``)."""
    blank = "_" * 18
    return [
        _("%(step)s: %(name)s   Date: %(date)s   Signature: %(blank)s")
        % {
            "step": step.label,
            "name": step.signed_by or blank,
            "date": f"{timezone.localtime(step.signed_at):%Y-%m-%d %H:%M}"
            if step.signed_at
            else blank,
            "blank": blank,
        }
        for step in batch_steps(batch)
    ]


def _card(pdf, layout: _Layout, x: float, y_top: float, number: str, index: int) -> None:
    """One card's cell: a light frame, the Code 128 barcode, the number, its place in the batch."""
    from reportlab.graphics.barcode.code128 import Code128

    pdf.setStrokeGray(0.8)
    pdf.setLineWidth(0.3)
    pdf.rect(x, y_top - CELL_HEIGHT, layout.cell_width, CELL_HEIGHT, stroke=1, fill=0)
    barcode = Code128(barcode_value(number), barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, quiet=0)
    barcode.drawOn(pdf, x + (layout.cell_width - barcode.width) / 2, y_top - 4 - BAR_HEIGHT)
    pdf.setFont(SANS, 8)
    pdf.drawCentredString(x + layout.cell_width / 2, y_top - CELL_HEIGHT + 5, number)
    pdf.setFont(SANS, 5)
    pdf.drawString(x + 2, y_top - CELL_HEIGHT + 2, str(index))
