"""The Z report: a closed business day on one A4 page (PDF), printed and filed by the store.

It shows the store, the date, the system's totals per tender (card sales, top-ups, fees)
and per kind of operation, the takings counted per tender with the variance, the
manager's comment, who closed the day and when, and the seal digest that ``membercard
verify`` rechecks. Chinese names are set in the built-in CID font (``pdf_fonts``).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from membercard.core.money import currency, format_minor
from membercard.core.pdf_fonts import CJK_FONT, NOT_LATIN, cjk_font
from membercard.days.models import BusinessDay
from membercard.days.reconciliation import DayFigures, TenderFigures
from membercard.ledger.models import OperationKind, Tender

BASE = ParagraphStyle("z_base", fontName="Helvetica", fontSize=9.5, leading=12)
BOLD = ParagraphStyle("z_bold", BASE, fontName="Helvetica-Bold")
RIGHT = ParagraphStyle("z_right", BASE, alignment=TA_RIGHT)
RIGHT_BOLD = ParagraphStyle("z_right_bold", BOLD, alignment=TA_RIGHT)
TITLE = ParagraphStyle("z_title", BOLD, fontSize=16, leading=20)
HEADING = ParagraphStyle("z_heading", BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
MONO = ParagraphStyle("z_mono", BASE, fontName="Courier", fontSize=8.5)
GRID = colors.HexColor("#9a9a9a")
SHADE = colors.HexColor("#ececec")


def _p(text: object, style: ParagraphStyle = BASE) -> Paragraph:
    if NOT_LATIN.search(str(text)):
        cjk_font()
    markup = NOT_LATIN.sub(
        lambda m: f'<font name="{CJK_FONT}">{m.group(0)}</font>', escape(str(text))
    )
    return Paragraph(markup, style)


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _money(amount: int | None) -> Paragraph:
    return _p(format_minor(amount or 0, with_currency=False), RIGHT)


def _tender_table(day: BusinessDay, figures: DayFigures) -> Table:
    takings = {t.tender: t for t in day.takings.all()}
    rows = [
        [
            _p(_("Tender"), BOLD),
            _p(_("Card sales"), RIGHT_BOLD),
            _p(_("Top-ups"), RIGHT_BOLD),
            _p(_("Card fees"), RIGHT_BOLD),
            _p(_("Expected"), RIGHT_BOLD),
            _p(_("Counted"), RIGHT_BOLD),
            _p(_("Variance"), RIGHT_BOLD),
        ]
    ]
    for tender in Tender:
        t = figures.tenders.get(tender.value, TenderFigures())
        count = takings.get(tender.value)
        rows.append(
            [
                _p(_(tender.label)),
                _money(t.card_sales),
                _money(t.top_ups),
                _money(t.fees),
                _money(t.total),
                _money(count.counted_minor if count else 0),
                _money(count.variance_minor if count else 0),
            ]
        )
    rows.append(
        [
            _p(_("Total"), BOLD),
            _money(figures.card_sales),
            _money(figures.top_ups),
            _money(figures.fees),
            _money(day.expected_total_minor),
            _money(day.declared_total_minor),
            _money(day.variance_minor),
        ]
    )
    return _table(rows, [34 * mm] + [23 * mm] * 6)


def _kind_table(figures: DayFigures) -> Table:
    rows = [[_p(_("Operation"), BOLD), _p(_("Count"), RIGHT_BOLD), _p(_("Amount"), RIGHT_BOLD)]]
    for kind in OperationKind:
        found = figures.kinds.get(kind.value)
        if found is None:
            continue
        rows.append([_p(_(kind.label)), _p(str(found.count), RIGHT), _money(found.net_minor)])
    rows.append(
        [_p(_("Card value redeemed: principal")), _p(""), _money(figures.redeemed_principal)]
    )
    rows.append([_p(_("Card value redeemed: bonus")), _p(""), _money(figures.redeemed_bonus)])
    return _table(rows, [95 * mm, 25 * mm, 40 * mm])


def z_report_pdf(day: BusinessDay) -> bytes:
    """The Z report of a closed day, as PDF bytes."""
    figures = DayFigures.from_json(day.totals or {})
    closed_at = (
        timezone.localtime(day.closed_at).strftime("%Y-%m-%d %H:%M") if day.closed_at else ""
    )
    story = [
        _p(_("Z report"), TITLE),
        _p(f"{day.location.code} {day.location.name}", BOLD),
        _p(_("Business day: %(date)s") % {"date": day.business_date.isoformat()}),
        _p(
            _("Closed by %(who)s at %(when)s")
            % {"who": str(day.closed_by) if day.closed_by else "", "when": closed_at}
        ),
        Spacer(1, 4 * mm),
        _p(_("Amounts in %(currency)s.") % {"currency": currency()}),
        _p(_("Takings per tender"), HEADING),
        _tender_table(day, figures),
        _p(_("Operations"), HEADING),
        _kind_table(figures),
        _p(_("Comment"), HEADING),
        _p(day.comment or "—"),
        _p(_("Seal"), HEADING),
        _p(
            _("%(count)s operations, last %(last)s")
            % {
                "count": day.seal_operation_count or 0,
                "last": day.seal_last_operation_id or "—",
            }
        ),
        _p(day.seal_digest, MONO),
        Spacer(1, 14 * mm),
        _p(_("Manager's signature: ____________________________")),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Z {day.location.code} {day.business_date.isoformat()}",
    )
    doc.build(story)
    return buffer.getvalue()
