"""``membercard report``: CSV on standard output, files in XLSX and PDF, clear refusals."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from membercard.reports.rollups import today
from tests import factories as f
from tests.reports.test_sales_inventory import three_days

pytestmark = pytest.mark.django_db


def _report(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sales_inventory_csv_goes_to_standard_output_in_minor_units(clock, shop):
    first, _a, _b = three_days(clock, shop)

    out, err = _report("sales-inventory", "--from", first.isoformat(), "--to", str(clock.day))

    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[-1]["location"] == "ALL"
    assert rows[-1]["face_value_sold"] == "30000"
    assert rows[0]["location"] == "S01"
    assert "Ties out" in err


def test_liability_and_dormant_and_points(clock, shop):
    first, _a, b = three_days(clock, shop)
    day = str(clock.day)

    liability = list(
        csv.DictReader(io.StringIO(_report("liability", "--from", str(first), "--to", day)[0]))
    )
    assert [(r["store_of_sale"], r["liability_closing"]) for r in liability] == [
        ("S01", str(30_000 + 50_000 + 5_000 + 1_000 - 5_500))
    ]
    # Card b was last used on day 2: dormant on day 3 alone, not over the whole period.
    dormant = list(csv.DictReader(io.StringIO(_report("dormant", "--from", day, "--to", day)[0])))
    assert [r["card"] for r in dormant] == ["•••• " + b[-4:]]
    assert _report("dormant", "--from", str(first), "--to", day)[0].count("\n") == 1
    points, err = _report("points-expiring", "--from", str(first), "--to", day)
    assert points.splitlines()[0] == "expires_on,product,store_of_sale,cards,points"
    assert "Points outstanding now" in err


def test_xlsx_and_pdf_files(clock, shop, tmp_path):
    first, _a, _b = three_days(clock, shop)
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"

    _report(
        "sales-inventory",
        "--from",
        str(first),
        "--to",
        str(clock.day),
        "--format",
        "xlsx",
        "--output",
        str(xlsx),
    )
    _report(
        "sales-inventory",
        "--from",
        str(first),
        "--to",
        str(clock.day),
        "--format",
        "pdf",
        "--output",
        str(pdf),
    )

    sheet = load_workbook(xlsx).active
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["location", "product", "stock_opening"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    totals = next(row for row in values if row[0] == "ALL")
    assert totals[header.index("top_ups")] == 50_000  # an integer cell, in minor units
    assert any(str(row[0]).startswith("Ties out") for row in values)
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-02-30", "--to", "2024-03-01"], "Not a date"),
        (["--from", "2024-03-02", "--to", "2024-03-01"], "starts after it ends"),
        (["--from", "2024-03-01", "--to", "2024-03-02", "--location", "NOPE"], "NOPE"),
    ],
)
def test_bad_input_is_a_clear_error(db, args, message):
    f.hq()
    with pytest.raises(CommandError, match=message):
        _report("sales-inventory", *args)


def test_a_period_in_the_future_is_refused(db):
    f.hq()
    later = today().replace(year=today().year + 1).isoformat()
    with pytest.raises(CommandError, match="future"):
        _report("liability", "--from", later, "--to", later)


def test_rollup_command_rolls_up_complete_days_once(clock, shop):
    three_days(clock, shop)
    out = io.StringIO()

    call_command("rollup", stdout=out)
    call_command("rollup", stdout=out)
    call_command("rollup", "--rebuild", stdout=out)

    assert out.getvalue().splitlines() == [
        "rollup: 2 day(s) rolled up",
        "rollup: 0 day(s) rolled up",
        "rollup: 2 day(s) rebuilt",
    ]
