"""Reports for people and for scripts: the PDF in the reader's language with money as
money and every font embedded; replacements in their own column; the whole history
("since opening") however long the shop has run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.operations.card_life import replace_card
from membercard.reports import exports, tables
from membercard.reports.sales_inventory import sales_inventory
from tests import factories as f
from tests.printouts import assert_fonts_embedded, needs_font_files, page_texts
from tests.reports.test_sales_inventory import _sell
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def _url(name: str, **query) -> str:
    return reverse("web:report", args=[name]) + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def _sales_of_4800(shop) -> list[str]:
    """Ten cards sold at S01 for 480.00 each: 4,800.00 of face value."""
    return [_sell(shop, 48_000) for _ in range(10)]


# The PDF ---------------------------------------------------------------------------------


def test_the_report_pdf_shows_money_as_money_and_headings_in_words(clock, shop):
    _sales_of_4800(shop)
    table = tables.sales_inventory_table(clock.day, clock.day, None)

    text = " ".join(page_texts(exports.to_pdf(table)))

    assert "4,800.00" in text and "480000" not in text
    assert "Face value sold" in text and "face value sold" not in text
    assert "Amounts in CNY." in text


def test_a_chinese_reader_gets_chinese_headings(clock, shop):
    _sales_of_4800(shop)
    client = signed_in(Role.HQ_FINANCE)
    client.staff.language = "zh-hans"
    client.staff.save()

    response = client.get(
        _url("sales-inventory", date_from=clock.day, date_to=clock.day, format="pdf")
    )

    text = " ".join(page_texts(response.content))
    for heading in ("卡产品", "已售", "作为补卡发出", "期末负债"):
        assert heading in text, heading
    assert "4,800.00" in text and "stock_opening" not in text


@needs_font_files
def test_the_report_pdf_embeds_every_font(clock, shop):
    _sales_of_4800(shop)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            table = tables.sales_inventory_table(clock.day, clock.day, None)
            assert_fonts_embedded(exports.to_pdf(table))


def test_files_for_scripts_keep_minor_units_and_column_names(clock, shop):
    _sales_of_4800(shop)
    table = tables.sales_inventory_table(clock.day, clock.day, None)
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(table))))
    assert rows[-1]["face_value_sold"] == "480000"


def test_tie_out_lines_on_the_page_show_money(clock, shop):
    _sales_of_4800(shop)
    page = signed_in(Role.HQ_FINANCE).get(
        _url("sales-inventory", date_from=clock.day, date_to=clock.day)
    )
    html = page.content.decode()
    assert "card balances at period end: 4,800.00 CNY ✓" in html
    assert "Stock = cards at the locations: 0 ✓" in html


# Replacements --------------------------------------------------------------------------


def _replace(shop, old: str) -> str:
    new = f.stock_card(shop["product"], shop["store"])
    replace_card(
        actor=shop["manager"], old_number=old, new_number=new.number, idempotency_key=f.key()
    )
    return new.number


def test_a_replacement_from_stock_is_not_counted_as_sold(clock, shop):
    # Given two cards sold at S01 (production cost 3.00 each) and one of them replaced by a
    # card from S01's stock, no sale
    shop["product"].unit_cost_minor = 300
    shop["product"].save()
    first, second = _sell(shop, 10_000), _sell(shop, 10_000)
    _replace(shop, second)
    day = clock.day
    clock.next_day()  # the day is rolled up, not only computed live
    # When the report covers the day
    report = sales_inventory(day, day)
    # Then two cards were sold and one issued as a replacement, each with its cost
    row = report.totals
    assert (row.sold, row.replaced) == (2, 1)
    assert (row.card_cost_sold, row.card_cost_replaced) == (600, 300)
    assert row.stock_closing == 0 and report.ties_out, report.checks
    assert first


def test_the_replaced_column_is_in_every_file_and_on_the_page(clock, shop):
    _replace(shop, _sell(shop, 10_000))
    table = tables.sales_inventory_table(clock.day, clock.day, None)
    total = dict(zip(table.columns, table.rows[-1], strict=True))
    assert (total["sold"], total["replaced"]) == (1, 1)

    header = exports.to_csv(table).splitlines()[0].split(",")
    assert header.index("replaced") == header.index("sold") + 1
    assert "card_cost_replaced" in header
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    assert "replaced" in [cell.value for cell in sheet[2]]
    assert "Issued as replacements" in " ".join(page_texts(exports.to_pdf(table)))
    page = signed_in(Role.HQ_FINANCE).get(
        _url("sales-inventory", date_from=clock.day, date_to=clock.day)
    )
    assert "Issued as replacements" in page.content.decode()


# Since opening -------------------------------------------------------------------------


def test_since_opening_covers_a_shop_opened_more_than_three_years_ago(clock, shop):
    # Given a shop that sold its first card four and a half years ago and one last year
    clock.moment -= dt.timedelta(days=1_250)
    opened = clock.day
    _sell(shop, 10_000)
    clock.next_day(1_500)
    _sell(shop, 20_000)
    finance = signed_in(Role.HQ_FINANCE)
    # When HQ asks for the whole history
    page = finance.get(_url("sales-inventory", date_from=opened, date_to=clock.day))
    # Then the report covers it: both sales, tied out, and the page offers it in one click
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "Ties out ✓" in html
    report = sales_inventory(opened, clock.day)
    assert report.totals.sold == 2 and report.totals.face_value_sold == 30_000
    assert f"date_from={opened.isoformat()}&amp;date_to={clock.day.isoformat()}" in html
    assert "Since opening" in html


def test_a_ten_year_report_reads_as_many_rows_as_a_short_one(clock, shop):
    """The cost follows the rollups, not the period: the same queries for 30 days and for
    ten years (each a GROUP BY over the period's day rows)."""
    clock.moment -= dt.timedelta(days=3_300)
    opened = clock.day
    _sell(shop, 10_000)
    clock.next_day(3_650)
    _sell(shop, 10_000)
    month_start = clock.day - dt.timedelta(days=29)
    for start in (opened, month_start):  # the rollups and the opening checkpoints, once
        sales_inventory(start, clock.day)
    with CaptureQueriesContext(connection) as month:
        sales_inventory(month_start, clock.day)
    with CaptureQueriesContext(connection) as decade:
        whole = sales_inventory(opened, clock.day)
    assert len(decade) == len(month)
    assert whole.totals.sold == 2 and whole.ties_out


def test_reports_that_list_raw_rows_keep_their_three_year_limit(shop):
    finance = signed_in(Role.HQ_FINANCE)
    end = today()
    start = end - dt.timedelta(days=4 * 365)
    capped = finance.get(_url("reconciliation", date_from=start, date_to=end))
    assert capped.status_code == 400
    assert "at most three years" in capped.content.decode()
    assert finance.get(_url("liability", date_from=start, date_to=end)).status_code == 200
