"""The Z report for people: money as money, in the manager's language, fonts embedded, and
the day's totals on the page of the manager's signature."""

from __future__ import annotations

import pytest
from django.utils import translation

from membercard.days.closing import close_day
from membercard.days.zreport import z_report_pdf
from tests import factories as f
from tests.ledger.helpers import pay
from tests.printouts import assert_fonts_embedded, needs_font_files, page_texts
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

COUNTED = {"cash": 480_000, "bank_card": 0, "mobile_pay": 0}


@pytest.fixture
def closed_day(cashier, manager):
    """S01's day: five cards sold for 960.00 each (4,800.00) in cash, a purchase of 30.00,
    closed."""
    product = f.product(face_values=[96_000])
    cards = [f.sold_card(cashier, product, value_minor=96_000) for _ in range(5)]
    pay(cashier, cards[0], 3_000)
    return close_day(actor=manager, counted=COUNTED)


def test_the_z_report_shows_money_as_money(closed_day):
    text = " ".join(page_texts(z_report_pdf(closed_day)))
    assert "4,800.00" in text and "30.00" in text
    assert "480000" not in text


def test_a_chinese_manager_gets_it_in_chinese(closed_day):
    client = signed_in(f.Role.STORE_MANAGER, f.store("S01"))
    client.staff.language = "zh-hans"
    client.staff.save()

    day = closed_day.business_date.isoformat()
    response = client.get(f"/days/z/S01/{day}.pdf")

    assert response.status_code == 200, response.content[:200]
    text = " ".join(page_texts(response.content))
    for heading in ("日结报表", "应有", "实点", "差额", "合计与签字"):
        assert heading in text, heading
    assert "Takings per tender" not in text
    assert "4,800.00" in text


def test_the_totals_are_on_the_page_of_the_signature(closed_day):
    # Given a report that runs over one page (a comment far longer than the form allows)
    closed_day.comment = "Counted twice. " * 400
    pages = page_texts(z_report_pdf(closed_day))
    assert len(pages) == 2
    # Then the day's totals are printed again where the manager signs
    (signed,) = [text for text in pages if "Manager's signature" in text]
    assert "Totals and signature Expected Counted Variance 4,800.00 4,800.00 0.00" in signed


@needs_font_files
def test_the_z_report_embeds_every_font(closed_day):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert_fonts_embedded(z_report_pdf(closed_day))
