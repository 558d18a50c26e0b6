"""Bad input answers 4xx, never 500 (issue #13, reproduction 11): NUL characters anywhere in
a request (PostgreSQL refuses them in a string: ``?q=%00`` was a 500 there) and dates at
the ends of the calendar (a report for year 0001, a filter up to 9999-12-31)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from membercard.core.models import Role
from membercard.ops.models import AuditEvent
from tests import factories as f
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

LISTS = [
    (Role.HQ_FINANCE, "/hq/members/"),
    (Role.HQ_ADMIN, "/hq/cards/"),
    (Role.HQ_ADMIN, "/hq/audit/"),
    (Role.HQ_ADMIN, "/hq/staff/"),
    (Role.HQ_ADMIN, "/hq/gifts/"),
    (Role.STORE_MANAGER, "/days/"),
]


@pytest.fixture
def stores(db):
    f.hq()
    return f.store("S01")


@pytest.mark.parametrize(("role", "url"), LISTS)
@pytest.mark.parametrize("query", ["q=%00", "q=ab%00cd", "sort=name%00", "%00=1", "page=1%00"])
def test_a_nul_in_the_query_string_is_400(stores, role, url, query):
    client = signed_in(role)

    response = client.get(f"{url}?{query}")

    assert response.status_code == 400


def test_a_nul_in_the_path_is_400(stores):
    response = signed_in(Role.HQ_ADMIN).get("/hq/cards/88%0000/")
    assert response.status_code == 400


def test_a_nul_in_a_form_field_is_400_and_writes_nothing(stores):
    client = Client()
    events = AuditEvent.objects.count()

    response = client.post("/login/", {"username": "cashier\x001", "password": "x"})

    assert response.status_code == 400
    assert AuditEvent.objects.count() == events


def test_a_nul_in_an_api_request_is_a_validation_problem(stores):
    from tests.api.conftest import make_till

    till = make_till()

    body = till.client.post(
        "/api/v1/cards/lookup",
        data=json.dumps({"input": "88\x0010"}),
        content_type="application/json",
    )
    query = till.client.get("/api/v1/stock?cursor=a%00b")

    for response in (body, query):
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"


def test_plain_input_still_passes(stores):
    response = signed_in(Role.HQ_FINANCE).get("/hq/members/?q=ab%01cd")
    assert response.status_code == 200


# Dates at the ends of the calendar --------------------------------------------------

FAR = [
    ("0001-01-01", "0001-01-31"),
    ("0001-01-01", "2026-01-01"),
    ("9999-12-01", "9999-12-31"),
    ("2026-01-01", "9999-12-31"),
]


def _report(name: str, start: str, end: str, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"date_from": start, "date_to": end, **extra}.items())
    return reverse("web:report", args=[name]) + "?" + query


@pytest.mark.parametrize(("start", "end"), FAR)
@pytest.mark.parametrize(
    "name",
    ["sales-inventory", "reconciliation", "liability", "dormant", "points-expiring", "top-members"],
)
def test_a_report_for_a_day_out_of_range_is_400(stores, name, start, end):
    finance = signed_in(Role.HQ_FINANCE)

    page = finance.get(_report(name, start, end))
    export = finance.get(_report(name, start, end, format="csv"))

    assert (page.status_code, export.status_code) == (400, 400)


@pytest.mark.parametrize(("start", "end"), FAR)
def test_the_report_command_refuses_a_day_out_of_range(stores, start, end):
    with pytest.raises(CommandError, match="between"):
        call_command("report", "sales-inventory", "--from", start, "--to", end)


@pytest.mark.parametrize(("start", "end"), FAR)
def test_the_audit_filter_refuses_a_day_out_of_range(stores, start, end):
    admin = signed_in(Role.HQ_ADMIN)
    query = f"?date_from={start}&date_to={end}"

    assert admin.get("/hq/audit/" + query).status_code == 400
    assert admin.get("/hq/audit/export.csv" + query).status_code in (400, 422)


@pytest.mark.parametrize(("start", "end"), FAR)
def test_the_reconciliation_board_refuses_a_day_out_of_range(stores, start, end):
    response = signed_in(Role.HQ_FINANCE).get(
        f"/days/reconciliation/?date_from={start}&date_to={end}"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_store_day_pages_for_a_day_out_of_range_are_4xx(stores, day):
    manager = signed_in(Role.STORE_MANAGER)
    finance = signed_in(Role.HQ_FINANCE)

    assert manager.get(f"/days/{day}/close/").status_code in (400, 404)
    assert manager.get(f"/days/z/S01/{day}.pdf").status_code in (400, 404)
    assert finance.get(f"/days/reconciliation/S01/{day}/").status_code in (400, 404)
