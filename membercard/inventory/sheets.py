"""The handover sheet: a PDF printed by the sender, signed by both parties.

Per product it shows the number ranges and counts, the face value total (for a product
with exactly one face value) and the card cost total; then grand totals, a discrepancy
section once the handover was received, and signature lines for sender and receiver.
Long lists run on over more pages, each with the document number and "page x of y".

The sheet is in the language active when it is printed (the web page prints it in the
staff member's own language); the grand totals are repeated in the signature block, so
the totals and the signatures are always on the same page. Fonts: ``membercard.core.pdf``.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import KeepTogether, Spacer, Table

from membercard.core.models import Location, Staff
from membercard.core.money import format_minor
from membercard.core.pdf import (
    BOLD,
    GRID,
    HEADING,
    RIGHT,
    RIGHT_BOLD,
    SHADE,
    TITLE,
    document,
    font_for,
    paragraph,
)
from membercard.core.pdf import table_style as TS
from membercard.inventory.models import NOT_LISTED, Handover, HandoverState, LineStatus
from membercard.inventory.sheet_data import BLIND_NOTE, NO_TOTAL, SheetData, sheet_data

_BLANK = "_" * 28

NUMBER = ParagraphStyle("number", TITLE, alignment=TA_RIGHT)


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _who(person: Staff | None) -> str:
    return str(person) if person else ""


def _place(location: Location) -> str:
    return f"{location.code} {location.name}"


# Layout ------------------------------------------------------------------------------------


def _header(handover: Handover) -> list:
    title = Table(
        [
            [
                paragraph(_("Card handover sheet"), TITLE),
                paragraph(handover.document_number, NUMBER),
            ],
            [
                paragraph(
                    _("from %(sender)s to %(receiver)s")
                    % {"sender": handover.from_location.code, "receiver": handover.to_location.code}
                ),
                paragraph(handover.get_state_display(), RIGHT),
            ],
        ],
        colWidths=["70%", "30%"],
    )
    title.setStyle(
        TS(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    h = handover
    rows = [
        [_("From (sender)"), _place(h.from_location), _("To (receiver)"), _place(h.to_location)],
        [
            _("Created"),
            f"{_when(h.created_at)}  {_who(h.created_by)}",
            _("Dispatched"),
            f"{_when(h.dispatched_at)}  {_who(h.dispatched_by)}",
        ],
        [
            _("Received"),
            f"{_when(h.received_at)}  {_who(h.received_by)}",
            _("Closed") if h.state != HandoverState.CANCELLED else _("Cancelled"),
            f"{_when(h.closed_at)}  {_who(h.closed_by)}",
        ],
    ]
    if h.note:
        rows.append([_("Note"), h.note, "", ""])
    info = Table(
        [
            [paragraph(a, BOLD), paragraph(b), paragraph(c, BOLD), paragraph(d)]
            for a, b, c, d in rows
        ],
        colWidths=["17%", "33%", "17%", "33%"],
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("BACKGROUND", (2, 0), (2, -1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if h.note:
        style.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    info.setStyle(TS(style))
    return [title, Spacer(0, 4 * mm), info]


def _cards_table(data: SheetData) -> list:
    rows: list[list] = [
        [paragraph(t, BOLD) for t in ("#", _("First number"), _("Last number"))]
        + [paragraph(t, RIGHT_BOLD) for t in (_("Count"), _("Face value"), _("Card cost"))]
    ]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for block in data.blocks:
        product = block.product
        face = product.face_values[0] if len(product.face_values or []) == 1 else None
        each = _("face value %(face)s each, card cost %(cost)s each") % {
            "face": format_minor(face) if face is not None else NO_TOTAL,
            "cost": format_minor(product.unit_cost_minor),
        }
        rows.append(
            [paragraph(f"{product.name} ({product.code}): {each}", BOLD), "", "", "", "", ""]
        )
        style += [
            ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
            ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), SHADE),
        ]
        for index, run in enumerate(block.ranges, start=1):
            rows.append(
                [
                    paragraph(index),
                    paragraph(run.first),
                    paragraph(run.last),
                    paragraph(run.count, RIGHT),
                    "",
                    "",
                ]
            )
        face_total = block.face_total_minor
        subtotal = _subtotal(product.name, len(block.ranges)) if not data.blind else product.name
        rows.append(
            [
                paragraph(subtotal, BOLD),
                "",
                "",
                paragraph(block.count, RIGHT_BOLD),
                paragraph(
                    format_minor(face_total) if face_total is not None else NO_TOTAL, RIGHT_BOLD
                ),
                paragraph(format_minor(block.cost_total_minor), RIGHT_BOLD),
            ]
        )
        style.append(("SPAN", (0, len(rows) - 1), (2, len(rows) - 1)))
    rows.append(
        [
            paragraph(_("Grand total"), BOLD),
            "",
            "",
            paragraph(data.count, RIGHT_BOLD),
            paragraph(data.face_total, RIGHT_BOLD),
            paragraph(format_minor(data.cost_total_minor), RIGHT_BOLD),
        ]
    )
    style += [("SPAN", (0, -1), (2, -1)), ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black)]
    table = Table(rows, colWidths=["6%", "25%", "25%", "10%", "17%", "17%"], repeatRows=1)
    table.setStyle(TS(style))
    out = [table] if not data.blind else [table, Spacer(0, 1 * mm), paragraph(BLIND_NOTE)]
    left_out = data.without_face_value
    if not left_out or len(left_out) == len(data.blocks):
        return out
    names = ", ".join(product.name for product in left_out)
    note = _("* Face value total without %(names)s: no single face value (%(none)s).") % {
        "names": names,
        "none": NO_TOTAL,
    }
    return [*out, Spacer(0, 1 * mm), paragraph(note)]


def _discrepancies(data: SheetData) -> list:
    if data.handover.received_at is None:
        return []
    sent, missing, extra = data.count, len(data.missing), len(data.unexpected)
    summary = _(
        "Received %(received)d of %(sent)d cards; missing: %(missing)d; unexpected: %(extra)d."
    ) % {"received": sent - missing, "sent": sent, "missing": missing, "extra": extra}
    out: list = [paragraph(_("Receipt and discrepancies"), HEADING), paragraph(summary)]
    if not (missing or extra):
        return out
    headings = (_("Card number"), _("Product"), _("Discrepancy"), _("Resolution"))
    rows = [[paragraph(t, BOLD) for t in headings]]
    for line in [*data.missing, *data.unexpected]:
        missing_card = line.status not in NOT_LISTED
        kind = _("missing") if missing_card else _("unexpected")
        if line.resolved_at is None:
            resolution = pgettext("discrepancy", "open")
        else:
            acknowledged = line.status == LineStatus.UNEXPECTED
            outcome = _("Acknowledged") if acknowledged else line.get_status_display()
            resolution = (
                f"{outcome}: {line.resolution_note} ({_who(line.resolved_by)}, "
                f"{_when(line.resolved_at)})"
            )
        rows.append(
            [
                paragraph(line.number_shown(full=data.full_entries, mask="****")),
                paragraph(line.card.product.name if line.card else _("Unexpected entry")),
                paragraph(kind),
                paragraph(resolution),
            ]
        )
    table = Table(rows, colWidths=["24%", "22%", "14%", "40%"], repeatRows=1)
    table.setStyle(
        TS(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [*out, Spacer(0, 2 * mm), table]


def _subtotal(name: str, ranges: int) -> str:
    return ngettext(
        "Subtotal %(product)s: %(ranges)d range",
        "Subtotal %(product)s: %(ranges)d ranges",
        ranges,
    ) % {"product": name, "ranges": ranges}


def _totals(data: SheetData) -> Table:
    """The grand totals again, kept with the signatures: what both parties sign for."""
    rows = [
        [
            paragraph(t, RIGHT_BOLD)
            for t in (pgettext("count", "Cards"), _("Face value"), _("Card cost"))
        ],
        [
            paragraph(data.count, RIGHT),
            paragraph(data.face_total, RIGHT),
            paragraph(format_minor(data.cost_total_minor), RIGHT),
        ],
    ]
    table = Table(rows, colWidths=["34%", "33%", "33%"])
    table.setStyle(
        TS([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE)])
    )
    return table


def _signature_rows(handover: Handover) -> list[list]:
    sender = handover.dispatched_by or handover.created_by
    location, name = _("Location"), pgettext("person", "Name")
    signature, date = _("Signature"), _("Date")
    return [
        [paragraph(_("Sender"), BOLD), "", paragraph(_("Receiver"), BOLD), ""],
        [
            paragraph(location),
            paragraph(_place(handover.from_location)),
            paragraph(location),
            paragraph(_place(handover.to_location)),
        ],
        [
            paragraph(name),
            paragraph(_who(sender)),
            paragraph(name),
            paragraph(_who(handover.received_by) or _BLANK),
        ],
        [paragraph(signature), paragraph(_BLANK), paragraph(signature), paragraph(_BLANK)],
        [paragraph(date), paragraph(_BLANK), paragraph(date), paragraph(_BLANK)],
    ]


def _signatures(handover: Handover, data: SheetData) -> KeepTogether:
    table = Table(
        _signature_rows(handover),
        colWidths=["13%", "37%", "13%", "37%"],
        rowHeights=[None, None, 9 * mm, 12 * mm, 9 * mm],
    )
    table.setStyle(
        TS(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("SPAN", (2, 0), (3, 0)),
                ("BOX", (0, 0), (1, -1), 0.6, colors.black),
                ("BOX", (2, 0), (3, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
            ]
        )
    )
    confirm = paragraph(
        _(
            "By signing, the sender confirms handing over, and the receiver confirms "
            "receiving, the cards listed above (discrepancies as recorded)."
        )
    )
    return KeepTogether(
        [
            paragraph(_("Totals and signatures"), HEADING),
            _totals(data),
            Spacer(0, 2 * mm),
            confirm,
            Spacer(0, 2 * mm),
            table,
        ]
    )


class _NumberedCanvas(canvas.Canvas):
    """Writes "page x of y" once the number of pages is known."""

    footer_left = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for state in self._pages:
            self.__dict__.update(state)
            self.setFillColor(colors.HexColor("#555555"))
            self.setFont(font_for(self.footer_left), 8)
            self.drawString(18 * mm, 10 * mm, self.footer_left)
            page = _("Page %(page)d of %(pages)d") % {
                "page": self._pageNumber,
                "pages": len(self._pages),
            }
            self.setFont(font_for(page), 8)
            self.drawRightString(A4[0] - 18 * mm, 10 * mm, page)
            super().showPage()
        super().save()


def handover_sheet_pdf(
    handover: Handover, *, blind: bool = False, full_entries: bool = False
) -> bytes:
    """The handover sheet as PDF bytes, in the active language; ``blind`` for a receiver
    that has not confirmed its count (``handover_queries.list_hidden``): no numbers;
    ``full_entries`` (HQ) prints unexpected entries in full, else masked to the last four."""
    data = sheet_data(handover, blind=blind, full_entries=full_entries)
    buffer = io.BytesIO()
    doc = document(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=_("Handover %(number)s") % {"number": handover.document_number},
        author=_who(handover.created_by),
    )
    footer = _("%(number)s  %(sender)s to %(receiver)s  printed %(when)s") % {
        "number": handover.document_number,
        "sender": handover.from_location.code,
        "receiver": handover.to_location.code,
        "when": _when(timezone.now()),
    }
    canvas_class = type("SheetCanvas", (_NumberedCanvas,), {"footer_left": footer})
    story = [
        *_header(handover),
        paragraph(_("Cards"), HEADING),
        *_cards_table(data),
        *_discrepancies(data),
        Spacer(0, 4 * mm),
        _signatures(handover, data),
    ]
    doc.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()
