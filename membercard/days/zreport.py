"""The Z report: a closed business day on one A4 page (PDF), printed and filed by the store.

It shows the store, the date, the system's totals per tender (card sales, top-ups, fees)
and per kind of operation, the takings counted per tender with the variance, the
manager's comment, who closed the day and when, and the seal digest that ``membercard
verify`` rechecks, then the day's totals again with the manager's signature line, kept
together on one page. It is in the language active when printed (the staff member's own
on the web); fonts are embedded (``core/pdf.py``).
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

from membercard.core.money import currency, format_minor
from membercard.core.pdf import (
    BOLD,
    HEADING,
    MONO,
    RIGHT,
    RIGHT_BOLD,
    TITLE,
    document,
    paragraph,
    ruled_table,
)
from membercard.days.models import BusinessDay
from membercard.days.reconciliation import DayFigures, TenderFigures
from membercard.ledger.models import OperationKind, Tender


def _money(amount: int | None) -> Paragraph:
    return paragraph(format_minor(amount or 0, with_currency=False), RIGHT)


def _tender_table(day: BusinessDay, figures: DayFigures) -> Table:
    takings = {t.tender: t for t in day.takings.all()}
    rows = [
        [
            paragraph(_("Tender"), BOLD),
            paragraph(_("Card sales"), RIGHT_BOLD),
            paragraph(_("Top-ups"), RIGHT_BOLD),
            paragraph(_("Card fees"), RIGHT_BOLD),
            paragraph(_("Expected"), RIGHT_BOLD),
            paragraph(_("Counted"), RIGHT_BOLD),
            paragraph(_("Variance"), RIGHT_BOLD),
        ]
    ]
    for tender in Tender:
        t = figures.tenders.get(tender.value, TenderFigures())
        count = takings.get(tender.value)
        rows.append(
            [
                paragraph(_(tender.label)),
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
            paragraph(_("Total"), BOLD),
            _money(figures.card_sales),
            _money(figures.top_ups),
            _money(figures.fees),
            _money(day.expected_total_minor),
            _money(day.declared_total_minor),
            _money(day.variance_minor),
        ]
    )
    return ruled_table(rows, [34 * mm] + [23 * mm] * 6)


def _kind_table(figures: DayFigures) -> Table:
    rows = [
        [
            paragraph(_("Operation"), BOLD),
            paragraph(_("Count"), RIGHT_BOLD),
            paragraph(_("Amount"), RIGHT_BOLD),
        ]
    ]
    for kind in OperationKind:
        found = figures.kinds.get(kind.value)
        if found is None:
            continue
        rows.append(
            [paragraph(_(kind.label)), paragraph(str(found.count), RIGHT), _money(found.net_minor)]
        )
    rows.append(
        [
            paragraph(_("Card value redeemed: principal")),
            paragraph(""),
            _money(figures.redeemed_principal),
        ]
    )
    rows.append(
        [paragraph(_("Card value redeemed: bonus")), paragraph(""), _money(figures.redeemed_bonus)]
    )
    return ruled_table(rows, [95 * mm, 25 * mm, 40 * mm])


def _signature(day: BusinessDay) -> KeepTogether:
    """The day's totals and the manager's signature line, never split over two pages."""
    totals = ruled_table(
        [
            [
                paragraph(_("Expected"), RIGHT_BOLD),
                paragraph(_("Counted"), RIGHT_BOLD),
                paragraph(_("Variance"), RIGHT_BOLD),
            ],
            [
                _money(day.expected_total_minor),
                _money(day.declared_total_minor),
                _money(day.variance_minor),
            ],
        ],
        [40 * mm] * 3,
    )
    return KeepTogether(
        [
            paragraph(_("Totals and signature"), HEADING),
            totals,
            Spacer(1, 14 * mm),
            paragraph(_("Manager's signature: ____________________________")),
        ]
    )


def z_report_pdf(day: BusinessDay) -> bytes:
    """The Z report of a closed day, as PDF bytes."""
    figures = DayFigures.from_json(day.totals or {})
    closed_at = (
        timezone.localtime(day.closed_at).strftime("%Y-%m-%d %H:%M") if day.closed_at else ""
    )
    story = [
        paragraph(_("Z report"), TITLE),
        paragraph(f"{day.location.code} {day.location.name}", BOLD),
        paragraph(_("Business day: %(date)s") % {"date": day.business_date.isoformat()}),
        paragraph(
            _("Closed by %(who)s at %(when)s")
            % {"who": str(day.closed_by) if day.closed_by else "", "when": closed_at}
        ),
        Spacer(1, 4 * mm),
        paragraph(_("Amounts in %(currency)s.") % {"currency": currency()}),
        paragraph(_("Takings per tender"), HEADING),
        _tender_table(day, figures),
        paragraph(_("Operations"), HEADING),
        _kind_table(figures),
        paragraph(_("Comment"), HEADING),
        paragraph(day.comment or "—"),
        paragraph(_("Seal"), HEADING),
        paragraph(
            _("%(count)s operations, last %(last)s")
            % {
                "count": day.seal_operation_count or 0,
                "last": day.seal_last_operation_id or "—",
            }
        ),
        paragraph(day.seal_digest, MONO),
        _signature(day),
    ]
    buffer = io.BytesIO()
    doc = document(
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
