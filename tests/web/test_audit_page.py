"""The audit page: HQ admin only, filters, sorting, pagination, a CSV export that is itself
audited; nothing on it changes an event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.core.models import Role
from membercard.ops.models import AuditEvent, AuditKind

pytestmark = pytest.mark.django_db

URL = "/hq/audit/"
EXPORT = "/hq/audit/export.csv"


def _event(username: str, kind: str, location: str, *, days_ago: int = 0, **fields):
    return AuditEvent.objects.create(
        created_at=timezone.now() - dt.timedelta(days=days_ago),
        username=username,
        role="store_cashier",
        location_code=location,
        kind=kind,
        **fields,
    )


@pytest.fixture
def events():
    return {
        "old": _event("alice", AuditKind.SIGN_IN_FAILED, "S01", days_ago=40, what="login"),
        "sale": _event(
            "bob", AuditKind.CHANGE, "S02", what="web:counter-purchase", path="/counter/buy"
        ),
        "export": _event("carol", AuditKind.MEMBER_EXPORT, "HQ", what="member.export"),
    }


def _usernames(response) -> list[str]:
    return [event.username for event in response.context["listing"].rows]


@pytest.mark.parametrize(
    "role", [Role.HQ_FINANCE, Role.HQ_STOCK, Role.STORE_MANAGER, Role.STORE_CASHIER]
)
def test_the_page_and_the_export_are_refused_to_everyone_but_hq_admin(client_for, events, role):
    client = client_for(role)

    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditKind.AUDIT_EXPORT).exists()


def test_hq_admin_sees_every_event_newest_first(client_for, events):
    client = client_for(Role.HQ_ADMIN)

    response = client.get(URL)

    assert response.status_code == 200
    names = _usernames(response)
    assert names[-1] == "alice"  # forty days old
    assert {"alice", "bob", "carol", client.staff.username} == set(names)  # + its sign-in
    assert "web:counter-purchase" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"username": "BOB"}, ["bob"]),
        ({"kind": AuditKind.MEMBER_EXPORT}, ["carol"]),
        ({"location": "s01"}, ["alice"]),
        ({"text": "counter-pur"}, ["bob"]),
        ({"text": "/counter/"}, ["bob"]),
    ],
)
def test_filters(client_for, events, query, expected):
    response = client_for(Role.HQ_ADMIN).get(URL, query)

    assert _usernames(response) == expected


def test_date_range_filter(client_for, events):
    client = client_for(Role.HQ_ADMIN)
    today = timezone.localdate()
    old = timezone.localtime(events["old"].created_at).date()

    recent = client.get(URL, {"date_from": today.isoformat()})
    early = client.get(URL, {"date_from": old.isoformat(), "date_to": old.isoformat()})

    assert "alice" not in _usernames(recent) and "bob" in _usernames(recent)
    assert _usernames(early) == ["alice"]


def test_a_reversed_date_range_is_a_field_error(client_for, events):
    response = client_for(Role.HQ_ADMIN).get(
        URL, {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]
    assert "field-error" in response.content.decode()


def test_sorting_and_pagination_keep_the_filters(client_for):
    for number in range(30):
        _event(f"user-{number:02d}", AuditKind.CHANGE, "S09", what="web:x")
    client = client_for(Role.HQ_ADMIN)

    first = client.get(URL, {"location": "S09", "sort": "username"})
    second = client.get(URL, {"location": "S09", "sort": "username", "page": "2"})

    assert _usernames(first)[:2] == ["user-00", "user-01"]
    assert _usernames(second) == [f"user-{n:02d}" for n in range(25, 30)]
    assert "location=S09" in first.content.decode()  # links carry the filter
    assert _usernames(client.get(URL, {"location": "S09", "sort": "-username"}))[0] == "user-29"


def test_csv_export_follows_the_filters_and_is_itself_audited(client_for, events):
    client = client_for(Role.HQ_ADMIN)

    response = client.get(EXPORT, {"kind": AuditKind.CHANGE}, REMOTE_ADDR="10.4.4.4")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("created_at,username,role,location_code,address,kind,what")
    assert len(lines) == 2 and "web:counter-purchase" in lines[1]
    exported = AuditEvent.objects.get(kind=AuditKind.AUDIT_EXPORT)
    assert (exported.staff, exported.address, exported.what) == (
        client.staff,
        "10.4.4.4",
        "web:audit-export",
    )
    assert exported.details == {"kind": "change"}
    assert exported.reference == "count=1"


def test_csv_cells_never_start_a_formula(client_for):
    _event("=HYPERLINK(1)", AuditKind.SIGN_IN_FAILED, "S01")
    client = client_for(Role.HQ_ADMIN)

    body = b"".join(client.get(EXPORT).streaming_content).decode()

    assert "'=HYPERLINK(1)" in body


def test_the_page_offers_no_way_to_change_an_event(client_for, events):
    body = client_for(Role.HQ_ADMIN).get(URL).content.decode()

    assert 'method="post"' not in body.split("<main", 1)[1]


def test_a_row_written_inside_its_action_reads_committed_and_a_refusal_its_status(client_for):
    _event(
        "dave",
        AuditKind.CHANGE,
        "S01",
        what="web:counter-purchase",
        details={"outcome": "committed"},
    )
    _event("erin", AuditKind.CHANGE, "S01", what="web:counter-refund", status=403)

    page = client_for(Role.HQ_ADMIN).get(URL).content.decode()

    dave = page[page.index(">dave<") :].split("</tr>")[0]
    erin = page[page.index(">erin<") :].split("</tr>")[0]
    assert '<span class="badge ok"' in dave and ">committed</span>" in dave
    assert ">403</span>" in erin and "committed</span>" not in erin
