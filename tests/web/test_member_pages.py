"""HQ member pages: the audited list, one member, editing with field errors, and the
audited CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from membercard.core.models import Role
from membercard.loyalty.models import Member, MemberAccessLog
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(db) -> list[Member]:
    return [
        Member.objects.create(name="Ann Lee", mobile="13800001111", registered_at=f.store()),
        Member.objects.create(name="Bo Wang", mobile="13900002222"),
        Member.objects.create(name="=cmd|calc", mobile="13700003333"),
    ]


def test_list_shows_members_and_records_the_bulk_read(client_for, members):
    client = client_for(Role.HQ_FINANCE)
    page = client.get("/hq/members/")
    assert page.status_code == 200
    assert b"Ann Lee" in page.content and b"Bo Wang" in page.content
    log = MemberAccessLog.objects.get(action="member.list")
    assert (log.count, log.staff_id) == (3, client.staff.pk)


def test_list_search_and_sort(client_for, members):
    client = client_for(Role.HQ_ADMIN)
    found = client.get("/hq/members/", {"q": "2222"})
    assert b"Bo Wang" in found.content
    assert b"Ann Lee" not in found.content
    ordered = client.get("/hq/members/", {"sort": "-name"}).content
    assert ordered.index(b"Bo Wang") < ordered.index(b"Ann Lee")


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_store_staff_are_refused(client_for, members, role):
    client = client_for(role)
    assert client.get("/hq/members/").status_code == 403
    assert client.get(f"/hq/members/{members[0].pk}/").status_code == 403
    assert client.get("/hq/members/export.csv").status_code == 403
    assert not MemberAccessLog.objects.exists()


def test_stock_keeper_may_not_read_members(client_for, members):
    assert client_for(Role.HQ_STOCK).get("/hq/members/").status_code == 403


def test_detail_shows_the_member_and_cards(client_for, members, cashier):
    card = f.sold_card(cashier, member=members[0])
    page = client_for(Role.HQ_FINANCE).get(f"/hq/members/{members[0].pk}/")
    assert page.status_code == 200
    assert b"13800001111" in page.content
    assert card.number.encode() in page.content


def test_edit_saves_and_is_audited(client_for, members):
    client = client_for(Role.HQ_ADMIN)
    member = members[0]
    assert client.get(f"/hq/members/{member.pk}/edit/").status_code == 200
    data = {"name": "Ann Lee-Chen", "mobile": "13800001111", "marketing_sms": "on"}
    response = client.post(f"/hq/members/{member.pk}/edit/", data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.marketing_sms) == ("Ann Lee-Chen", True)
    assert MemberAccessLog.objects.filter(action="member.updated", member=member).exists()


def test_edit_errors_are_field_level(client_for, members):
    client = client_for(Role.HQ_ADMIN)
    member = members[0]
    taken = client.post(f"/hq/members/{member.pk}/edit/", {"name": "Ann", "mobile": "13900002222"})
    assert taken.status_code == 409  # the refusal's own status (member_exists), on the field
    assert b"field-error" in taken.content
    bad = client.post(f"/hq/members/{member.pk}/edit/", {"name": "", "mobile": "12ab"})
    assert bad.status_code == 422
    assert bad.content.count(b"field-error") >= 2
    member.refresh_from_db()
    assert (member.name, member.mobile) == ("Ann Lee", "13800001111")


def test_csv_export_writes_an_access_log_row(client_for, members):
    client = client_for(Role.HQ_FINANCE)
    response = client.get("/hq/members/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "name", "mobile"]
    assert {r[2] for r in rows[1:]} == {"13800001111", "13900002222", "13700003333"}
    assert "'=cmd|calc" in {r[1] for r in rows[1:]}  # no formula reaches the spreadsheet
    log = MemberAccessLog.objects.get(action="member.export")
    assert (log.count, log.staff_id) == (3, client.staff.pk)


def test_stock_keeper_may_not_export(client_for, members):
    assert client_for(Role.HQ_STOCK).get("/hq/members/export.csv").status_code == 403
    assert not MemberAccessLog.objects.filter(action="member.export").exists()
