"""The audit log is written: sign-in, failed sign-in, sign-out, staff POSTs (also refused
ones) with who/role/location/address/status, member exports; GETs are not; secrets never."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

import membercard.urls
from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted
from membercard.core.models import Role
from membercard.core.permissions import Action
from membercard.loyalty.models import Member
from membercard.loyalty.selectors import export_members
from membercard.ops import audit
from membercard.ops.models import AuditEvent, AuditKind
from membercard.web import access
from tests import factories as f

pytestmark = pytest.mark.django_db

AUDIT = "membercard.ops.audit.AuditMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"


# A test page that changes nothing but answers like one that does. ---------------------------


@access.staff_page(Action.MANAGE_STAFF)
def _save_setting(request: HttpRequest, number: str) -> HttpResponse:
    if request.POST.get("refuse"):
        raise NotPermitted("Refused by the service.")
    return HttpResponse("saved")


urlpatterns = [
    path("audit-test/<str:number>/save", _save_setting, name="audit-test-save"),
    path("api/v1/audit-test", lambda request: HttpResponse("api"), name="audit-test-api"),
    *membercard.urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def _audit_urls(settings):
    assert AUDIT in settings.MIDDLEWARE, "the audit middleware must be installed"
    assert settings.MIDDLEWARE.index(AUDIT) == settings.MIDDLEWARE.index(AUTH) + 1
    settings.ROOT_URLCONF = __name__


def signed_in(role: Role) -> Client:
    staff = f.staff(role)
    client = Client(REMOTE_ADDR="10.0.0.7")
    client.force_login(staff)
    client.staff = staff
    return client


CARD = "8812345678901234"


def recorded():
    """Events after the test client's own sign-in (``force_login`` records one)."""
    return AuditEvent.objects.exclude(kind=AuditKind.SIGN_IN)


# Sign-in, failed sign-in, sign-out ----------------------------------------------------------


def test_sign_in_is_recorded_with_who_where_and_address():
    staff = f.staff(Role.STORE_CASHIER, password="right-password-1")

    response = Client().post(
        "/login/",
        {"username": staff.username, "password": "right-password-1"},
        REMOTE_ADDR="192.0.2.10",
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN)
    assert (event.staff, event.username, event.role) == (staff, staff.username, "store_cashier")
    assert (event.location_code, event.address, event.method) == ("S01", "192.0.2.10", "POST")
    assert AuditEvent.objects.count() == 1  # the sign-in POST is not recorded twice


def test_failed_sign_in_records_attempted_username_and_address_never_the_password():
    staff = f.staff(Role.HQ_ADMIN, password="right-password-1")
    client = Client()

    client.post(
        "/login/", {"username": staff.username, "password": "guess-1234"}, REMOTE_ADDR="203.0.113.5"
    )
    client.post(
        "/login/", {"username": "nobody", "password": "guess-5678"}, REMOTE_ADDR="203.0.113.6"
    )

    known, unknown = AuditEvent.objects.filter(kind=AuditKind.SIGN_IN_FAILED).order_by("pk")
    assert (known.username, known.address, known.staff) == (staff.username, "203.0.113.5", staff)
    assert (unknown.username, unknown.address, unknown.staff) == ("nobody", "203.0.113.6", None)
    assert unknown.details == {"known_username": False}
    assert not AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).exists()
    for event in (known, unknown):
        assert "guess" not in str(event.details) + event.reference + event.path


def test_sign_out_is_recorded():
    client = signed_in(Role.STORE_MANAGER)

    client.post("/logout/")

    event = recorded().get()
    assert (event.kind, event.staff, event.address) == (
        AuditKind.SIGN_OUT,
        client.staff,
        "10.0.0.7",
    )


# Staff POSTs ------------------------------------------------------------------------------


def test_a_staff_post_is_recorded_with_who_role_location_status_and_reference():
    client = signed_in(Role.HQ_ADMIN)

    response = client.post(f"/audit-test/{CARD}/save", {"note": "new opening hours"})

    assert response.status_code == 200
    event = recorded().get()
    assert event.kind == AuditKind.CHANGE
    assert (event.staff, event.username) == (client.staff, client.staff.username)
    assert (event.role, event.location_code, event.address) == ("hq_admin", "HQ", "10.0.0.7")
    assert (event.what, event.method, event.status) == ("audit-test-save", "POST", 200)
    assert event.path == "/audit-test/••••1234/save"  # a card number is a bearer secret
    assert event.reference == "number=••••1234"
    assert event.details == {"note": "new opening hours"}


def test_a_post_refused_for_the_role_is_recorded_with_its_403():
    client = signed_in(Role.STORE_CASHIER)

    response = client.post(f"/audit-test/{CARD}/save", {"note": "try"})

    assert response.status_code == 403
    event = recorded().get()
    assert (event.username, event.role, event.location_code) == (
        client.staff.username,
        "store_cashier",
        "S01",
    )
    assert (event.status, event.what) == (403, "audit-test-save")


def test_a_post_refused_by_the_service_is_recorded_with_its_status():
    client = signed_in(Role.HQ_ADMIN)

    response = client.post(f"/audit-test/{CARD}/save", {"refuse": "1"})

    assert response.status_code == 403
    assert recorded().get().status == 403


def test_get_requests_anonymous_posts_and_api_calls_are_not_recorded():
    client = signed_in(Role.HQ_ADMIN)

    client.get(f"/audit-test/{CARD}/save")
    client.get("/")
    Client().post(f"/audit-test/{CARD}/save", {"note": "anonymous"})
    client.post("/api/v1/audit-test", {"x": "1"})

    assert recorded().count() == 0


def test_secrets_are_stripped_and_card_data_masked():
    client = signed_in(Role.HQ_ADMIN)

    client.post(
        f"/audit-test/{CARD}/save",
        {
            "password": "hunter2-pass",
            "new_password2": "hunter2-pass",
            "pin": "4321",
            "api_key": "mck_secret_value",
            "card_number": CARD,
            "reader_input": f"%B{CARD}^DOE/JOHN^2512101?",
            "note": f"customer said ;{CARD}=2512101? twice",
            "idempotency_key": "0f1e2d3c4b5a",
            "amount": "12.50",
        },
    )

    details = recorded().get().details
    stored = str(details)
    for secret in ("hunter2", "4321", "mck_secret", CARD, "DOE/JOHN", "csrf"):
        assert secret not in stored
    assert not {"password", "new_password2", "pin", "api_key"} & details.keys()
    assert details["card_number"] == "••••1234"
    assert details["reader_input"] == "••••1234"
    assert details["note"] == "customer said ••••1234 twice"
    assert details["idempotency_key"] == "0f1e2d3c4b5a"
    assert details["amount"] == "12.50"


def test_clean_value_masks_tracks_and_long_numbers_only():
    assert audit.clean_value(f"swiped %B{CARD}^DOE/JOHN^2512101? ok") == "swiped ••••1234 ok"
    assert audit.clean_value(f";{CARD}=25121010000?") == "••••1234"
    assert audit.clean_value("8812 3456 7890 1234") == "••••1234"
    assert audit.clean_value("call 12345 at 10:30; ok?") == "call 12345 at 10:30; ok?"


def test_terminal_key_pages_are_recorded_as_terminal_changes():
    assert audit._kind("web:terminal-revoke", "/hq/terminals/3/revoke") == AuditKind.TERMINAL_CHANGE
    assert audit._kind("web:staff-edit", "/hq/staff/3") == AuditKind.CHANGE


def test_forwarded_for_is_used_only_behind_a_trusted_proxy(settings):
    client = signed_in(Role.HQ_ADMIN)
    headers = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 198.51.100.2"}

    client.post(f"/audit-test/{CARD}/save", {}, **headers)
    settings.MEMBERCARD_TRUSTED_PROXY = True
    client.post(f"/audit-test/{CARD}/save", {}, **headers)

    first, second = recorded().order_by("pk")
    assert (first.address, second.address) == ("10.0.0.7", "198.51.100.2")


# Member data read in bulk ---------------------------------------------------------------------


def test_member_export_creates_an_audit_event():
    Member.objects.create(name="Li Lei", mobile="13800000001")
    Member.objects.create(name="Han Meimei", mobile="13800000002")
    actor = f.actor(Role.HQ_FINANCE)

    rows = export_members(actor=actor, address="10.9.8.7")

    assert len(rows) == 2
    event = AuditEvent.objects.get()
    assert (event.kind, event.what, event.staff) == (
        AuditKind.MEMBER_EXPORT,
        "member.export",
        actor.staff,
    )
    assert (event.role, event.location_code, event.address) == ("hq_finance", "HQ", "10.9.8.7")
    assert event.details["count"] == 2


def test_a_refused_member_export_leaves_no_audit_event():
    actor = f.actor(Role.STORE_MANAGER)

    with pytest.raises(NotPermitted):
        export_members(actor=actor)

    assert AuditEvent.objects.count() == 0


def test_a_terminal_bulk_read_is_recorded_with_the_terminal():
    from membercard.core.terminals import create_terminal_key

    terminal, _key = create_terminal_key(store_code=f.store().code, name="till-9", by=None)
    event = audit.record_member_access(
        Actor.for_terminal(terminal), "member.search", count=3, data={"by": "name"}
    )

    assert (event.staff, event.role, event.location_code) == (None, "store_cashier", "S01")
    assert event.kind == AuditKind.MEMBER_BULK_READ
    assert event.details == {"count": 3, "by": "name", "terminal": str(terminal)}


# Operators' commands ------------------------------------------------------------------------


def test_record_cli_keeps_the_command_and_drops_secret_arguments():
    admin = f.staff(Role.HQ_ADMIN)

    event = audit.record_cli(
        "terminal-key create",
        ["--store", "S01", "--name", "till-1", "--api-key", "mck_abc", f"--card={CARD}"],
        username=admin.username,
    )

    assert (event.kind, event.what, event.staff, event.role) == (
        AuditKind.CLI,
        "terminal-key create",
        admin,
        "hq_admin",
    )
    assert event.details["args"] == "--store S01 --name till-1 --card=••••1234"


# The admin ----------------------------------------------------------------------------------


def test_the_admin_shows_events_read_only_and_records_attempts_to_change_them():
    """The model lives in core since it moved down (its table is still ops_auditevent)."""
    superuser = f.staff(Role.HQ_ADMIN)
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    event = audit.record(AuditKind.SIGN_IN_FAILED, username="mallory", address="203.0.113.9")
    client = Client()
    client.force_login(superuser)
    change_url = f"/admin/core/auditevent/{event.pk}/change/"

    listing = client.get("/admin/core/auditevent/")
    attempt = client.post(change_url, {"username": "nobody", "address": "127.0.0.1"})
    deletion = client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and "mallory" in listing.content.decode()
    assert b"/admin/core/auditevent/add/" not in listing.content
    assert attempt.status_code == 403 and deletion.status_code == 403
    event.refresh_from_db()
    assert (event.username, event.address) == ("mallory", "203.0.113.9")
    assert list(
        recorded().filter(what="admin:core_auditevent_change").values_list("status", flat=True)
    ) == [403]


def test_operator_commands_are_recorded_with_their_options():
    from django.core.management import call_command

    f.store("S01")
    admin = f.staff(Role.HQ_ADMIN)
    call_command(
        "terminal-key", "create", "--store", "S01", "--name", "till-9", "--by", admin.username
    )
    call_command("expire-points", "--date", "2026-01-05")
    events = list(AuditEvent.objects.filter(kind=AuditKind.CLI).order_by("pk"))
    assert [e.what for e in events] == ["terminal-key create", "expire-points"]
    assert events[0].staff == admin
    assert "--name=till-9" in str(events[0].details)
    assert "--date=2026-01-05" in str(events[1].details)


def test_command_options_leave_out_djangos_own_and_empty_options():
    options = {"verbosity": 1, "product": "GOLD", "supplier": "", "quantity": 5, "unit_cost": None}
    assert audit.command_options(options) == ["--product=GOLD", "--quantity=5"]


# Card data swiped into the username or carried in a path --------------------------------

BANK_CARD = "4556737586899855"


@pytest.mark.parametrize(
    "typed",
    [
        f"%B{BANK_CARD}^DOE/JOHN^2512101000000000123?",
        f";{BANK_CARD}=25121010000012300?",
        BANK_CARD,
    ],
)
def test_a_bank_card_swiped_into_the_sign_in_username_is_refused_and_not_kept(typed):
    response = Client().post("/login/", {"username": typed, "password": "guess-1234"})

    assert response.status_code == 422
    assert BANK_CARD.encode() not in response.content
    rows = [f"{e.username} {e.path} {e.reference} {e.details}" for e in AuditEvent.objects.all()]
    assert not [row for row in rows if BANK_CARD in row or "DOE/JOHN" in row]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (f";{CARD}=4912?", "••••1234"),
        (CARD, "••••1234"),
    ],
)
def test_our_card_swiped_into_the_sign_in_username_is_masked_in_the_audit_row(typed, stored):
    Client().post("/login/", {"username": typed, "password": "guess-1234"})

    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN_FAILED)
    assert event.username == stored
    row = f"{event.username} {event.path} {event.reference} {event.details}"
    assert CARD not in row


def test_a_card_number_in_the_path_is_masked_in_the_audit_row():
    client = signed_in(Role.HQ_ADMIN)

    client.post(f"/audit-test/{BANK_CARD}/save", {"note": "typed by mistake"})
    client.post(f"/audit-test/{CARD}/save", {})

    bank, ours = recorded().order_by("pk")
    assert bank.path == "/audit-test/[card data removed]/save"
    assert bank.reference == "number=[card data removed]"
    assert (ours.path, ours.reference) == ("/audit-test/••••1234/save", "number=••••1234")
