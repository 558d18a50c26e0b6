"""Staff sign-in hardened (issue #13, reproductions 4, 5 and the session part of 8).

4. Sign-in is locked per username and per client address after repeated failures, on
   ``/login/`` and ``/admin/login/``; the lock is audited and an HQ admin lifts it.
5. Passwords meet Django's validators (length 10, similarity, common, numeric) wherever one
   is set; staff change their own; HQ roles and managers sign in with a second factor
   (TOTP, recovery codes, HQ reset).
8. Sessions: idle timeout (back office 30 min, cashiers a shift), at most 12 hours, and they
   end when the password changes or the account is disabled.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercard.core import services as setup
from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.models import Role, Staff
from membercard.ops.models import AuditEvent, AuditKind
from tests import factories as f

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-harbour-92"
ADDRESS = "198.51.100.7"


def sign_in(client: Client, username: str, password: str, path: str = "/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def person(role: Role = Role.STORE_CASHIER, **kwargs):
    """A staff member with ``PASSWORD``; HQ roles and managers with an enrolled app."""
    f.hq()
    return f.staff(role, password=PASSWORD, **kwargs)


# 4. Lockout -----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_even_for_the_right_password():
    cashier = person()
    client = Client(REMOTE_ADDR=ADDRESS)

    answers = [sign_in(client, cashier.username, f"wrong-{i}").status_code for i in range(5)]
    locked = sign_in(client, cashier.username, PASSWORD)

    assert answers == [200] * 4 + [429]
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # From another address too: the username itself is locked.
    elsewhere = sign_in(Client(REMOTE_ADDR="192.0.2.99"), cashier.username, PASSWORD)
    assert elsewhere.status_code == 429
    assert b"Sign-in locked" in locked.content


def test_one_address_trying_many_usernames_is_locked():
    people = [person() for _ in range(3)]
    client = Client(REMOTE_ADDR=ADDRESS)
    limit = settings.MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT
    assert limit == 20  # the default: a store's tills may share one address

    for i in range(limit - 1):
        sign_in(client, f"guess{i}", "password-1")
    # A few typos by different cashiers behind one address lock nobody else out ...
    assert sign_in(Client(REMOTE_ADDR=ADDRESS), people[2].username, PASSWORD).status_code == 302
    sign_in(client, "guess-last", "password-1")

    # ... but a whole run of guesses does.
    assert sign_in(client, people[0].username, PASSWORD).status_code == 429
    other = sign_in(Client(REMOTE_ADDR="192.0.2.50"), people[1].username, PASSWORD)
    assert other.status_code == 302  # the username is not locked, only the address


def test_the_admin_sign_in_is_locked_too():
    admin = person(Role.HQ_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client(REMOTE_ADDR=ADDRESS)

    for i in range(5):
        sign_in(client, admin.username, f"wrong-{i}", path="/admin/login/")
    response = sign_in(client, admin.username, PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_audited_with_username_and_address():
    cashier = person()
    client = Client(REMOTE_ADDR=ADDRESS)
    for i in range(5):
        sign_in(client, cashier.username, f"wrong-{i}")

    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN_LOCKED)
    assert (event.username, event.address) == (cashier.username, ADDRESS)


def test_a_card_swiped_into_the_username_is_never_stored_whole_by_the_lockout():
    ours = ";8812345678901234=30121010000000000?"  # one of our cards, swiped by mistake
    client = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(5):
        sign_in(client, ours, "whatever-1")

    stored = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    stored += list(AccessLog.objects.values_list("username", "user_agent", "path_info"))
    assert stored, "the failures were counted"
    assert not any("8812345678901234" in str(value) for row in stored for value in row)
    assert not any("88123456" in str(row[0]) for row in stored)
    # ... and the lock still holds for that input.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.8"), ours, "x").status_code == 429


def test_a_bank_card_swiped_into_the_username_is_refused_before_the_lockout_sees_it():
    track1 = "%B4111111111111111^DOE/JOHN^30121010000000000000?"
    client = Client(REMOTE_ADDR=ADDRESS)

    answers = [sign_in(client, track1, "whatever-1").status_code for _ in range(6)]

    assert answers == [422] * 6  # refused every time, never counted towards a lock
    stored = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    stored += list(AccessLog.objects.values_list("username", "user_agent", "path_info"))
    assert not any("4111111111111111" in str(value) for row in stored for value in row)


def test_an_hq_admin_sees_the_lock_and_lifts_it():
    cashier = person()
    for i in range(5):
        sign_in(Client(REMOTE_ADDR=ADDRESS), cashier.username, f"wrong-{i}")
    for i in range(settings.MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT - 5):
        sign_in(Client(REMOTE_ADDR=ADDRESS), f"guess{i}", "wrong")  # the address too
    admin = f.staff(Role.HQ_ADMIN)
    client = Client()
    client.force_login(admin)

    listing = client.get(reverse("web:signin-security")).content.decode()
    assert cashier.username in listing and ADDRESS in listing

    client.post(reverse("web:signin-unlock"), {"kind": "username", "value": cashier.username})
    client.post(reverse("web:signin-unlock"), {"kind": "address", "value": ADDRESS})

    assert sign_in(Client(REMOTE_ADDR=ADDRESS), cashier.username, PASSWORD).status_code == 302
    lifted = AuditEvent.objects.filter(kind=AuditKind.SIGN_IN_UNLOCKED)
    assert sorted(lifted.values_list("reference", flat=True)) == [
        f"address={ADDRESS}",
        f"username={cashier.username}",
    ]
    assert set(lifted.values_list("staff", flat=True)) == {admin.pk}


def test_an_insider_s_own_successful_sign_ins_do_not_wipe_the_count():
    insider, target = person(), person()
    client = Client(REMOTE_ADDR=ADDRESS)

    for i in range(5):
        sign_in(client, target.username, f"wrong-{i}")
        if i < 4:
            assert (
                sign_in(Client(REMOTE_ADDR=ADDRESS), insider.username, PASSWORD).status_code == 302
            )

    assert sign_in(Client(REMOTE_ADDR="192.0.2.60"), target.username, PASSWORD).status_code == 429


def test_only_an_hq_admin_lifts_locks():
    manager = f.staff(Role.STORE_MANAGER)
    with pytest.raises(Exception) as refused:
        from membercard.ops import signin

        signin.unlock(actor=Actor.for_staff(manager), kind="username", value="x")
    assert refused.value.code == "not_permitted"


# 5. Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678", "password", "1234567890", "password12"])
def test_weak_passwords_are_refused_when_hq_adds_staff(weak):
    admin = f.actor(Role.HQ_ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        setup.create_staff(
            actor=admin,
            username="lwang",
            first_name="Lei",
            last_name="Wang",
            role=Role.STORE_CASHIER,
            location=f.store(),
            password=weak,
        )
    assert refused.value.extra["field"] == "password"


def test_the_hq_staff_page_refuses_a_weak_password_beside_the_field():
    client = Client()
    client.force_login(f.staff(Role.HQ_ADMIN))
    form = {
        "username": "lwang",
        "role": Role.STORE_CASHIER,
        "location": f.store().pk,
        "password": "password",
    }

    response = client.post(reverse("web:staff-create"), form)

    assert response.status_code == 422
    assert "too common" in response.content.decode()
    assert not Staff.objects.filter(username="lwang").exists()


def test_a_password_like_the_username_is_refused():
    admin = f.actor(Role.HQ_ADMIN)
    cashier = f.staff(Role.STORE_CASHIER)
    with pytest.raises(ValidationFailed) as refused:
        setup.update_staff(
            actor=admin,
            staff_id=cashier.pk,
            first_name="",
            last_name="",
            role=Role.STORE_CASHIER,
            location=cashier.location,
            password=cashier.username + "1",
        )
    assert refused.value.extra["field"] == "password"


def test_the_validators_are_django_s_full_set():
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "MinimumLengthValidator",
        "UserAttributeSimilarityValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


def test_staff_change_their_own_password_and_other_sessions_end():
    cashier = person()
    here, there = Client(), Client()
    assert sign_in(here, cashier.username, PASSWORD).status_code == 302
    assert sign_in(there, cashier.username, PASSWORD).status_code == 302
    new = "Orchid-lighthouse-57"

    weak = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    changed = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert weak.status_code == 422
    assert changed.status_code == 302
    cashier.refresh_from_db()
    assert cashier.check_password(new)
    assert here.get(reverse("web:counter")).status_code == 200  # this session is kept
    ended = there.get(reverse("web:counter"))
    assert ended.status_code == 302 and ended["Location"].startswith("/login/")


def test_a_disabled_account_s_session_ends():
    cashier = person()
    client = Client()
    sign_in(client, cashier.username, PASSWORD)
    assert client.get(reverse("web:counter")).status_code == 200

    setup.deactivate_staff(actor=f.actor(Role.HQ_ADMIN), staff_id=cashier.pk)

    response = client.get(reverse("web:counter"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_account_page_links_from_the_top_bar():
    client = Client()
    client.force_login(f.staff(Role.STORE_CASHIER))
    html = client.get(reverse("web:counter")).content.decode()
    assert f'href="{reverse("account")}"' in html
    assert client.get(reverse("account")).status_code == 200


# 5. The second factor -----------------------------------------------------------------------


def test_an_hq_role_without_an_app_is_sent_to_enrol_and_can_open_nothing_else():
    admin = person(Role.HQ_ADMIN, second_factor=False)
    client = Client()

    signed = sign_in(client, admin.username, PASSWORD)
    assert client.get(signed["Location"]).status_code == 302
    for url in (reverse("web:staff"), reverse("account"), "/admin/", reverse("web:products")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("second-factor-enrol")), url
    assert client.get(reverse("second-factor-enrol")).status_code == 200


def test_enrolment_shows_qr_and_secret_confirms_with_a_code_and_shows_ten_recovery_codes():
    manager = person(Role.STORE_MANAGER, second_factor=False)
    client = Client()
    sign_in(client, manager.username, PASSWORD)

    text = client.get(reverse("second-factor-enrol")).content.decode()
    assert "<svg" in text and "otpauth://totp/" in text
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    wrong = client.post(reverse("second-factor-enrol"), {"token": "000000"})
    done = client.post(reverse("second-factor-enrol"), {"token": f.totp_code(device)})

    assert wrong.status_code == 422
    assert done.status_code == 200
    codes = StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user=manager).confirmed
    assert client.get(reverse("web:days")).status_code == 200
    assert AuditEvent.objects.filter(kind=AuditKind.SECOND_FACTOR, staff=manager).exists()


def test_a_password_alone_is_not_enough_when_an_app_is_enrolled():
    finance = person(Role.HQ_FINANCE)
    device = TOTPDevice.objects.get(user=finance)
    client = Client()

    sign_in(client, finance.username, PASSWORD)
    held = client.get(reverse("web:reconciliation"))
    wrong = client.post(reverse("second-factor-verify"), {"token": "123456"})
    # django-otp holds the device for a second after a wrong code (doubling each time).
    with time_machine.travel(dt.timedelta(seconds=2)):
        right = client.post(
            reverse("second-factor-verify"), {"token": f.totp_code(device), "next": "/reports/"}
        )

    assert held.status_code == 302 and held["Location"].startswith(reverse("second-factor-verify"))
    assert wrong.status_code == 422
    assert right.status_code == 302 and right["Location"] == "/reports/"
    assert client.get(reverse("web:reconciliation")).status_code == 200


def test_the_enrolment_page_cannot_replace_an_app_before_its_code_is_given():
    finance = person(Role.HQ_FINANCE)
    client = Client()
    sign_in(client, finance.username, PASSWORD)

    response = client.get(reverse("second-factor-enrol"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second-factor-verify"))
    assert TOTPDevice.objects.filter(user=finance).count() == 1


def test_a_recovery_code_signs_in_once():
    stock = person(Role.HQ_STOCK)
    recovery = StaticDevice.objects.create(user=stock, name="recovery codes")
    recovery.token_set.create(token="abcd2345")

    first, second = Client(), Client()
    for client in (first, second):
        sign_in(client, stock.username, PASSWORD)
    used = first.post(reverse("second-factor-verify"), {"token": "abcd2345"})
    again = second.post(reverse("second-factor-verify"), {"token": "abcd2345"})

    assert used.status_code == 302
    assert again.status_code == 422


def test_cashiers_may_sign_in_without_a_second_factor():
    cashier = person()
    client = Client()
    sign_in(client, cashier.username, PASSWORD)
    assert client.get(reverse("web:counter")).status_code == 200


def test_a_cashier_who_enrolled_is_asked_for_the_code():
    cashier = person(second_factor=True)
    client = Client()
    sign_in(client, cashier.username, PASSWORD)
    response = client.get(reverse("web:counter"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second-factor-verify"))


def test_an_hq_admin_resets_a_second_factor_and_it_is_audited():
    manager = person(Role.STORE_MANAGER)
    StaticDevice.objects.create(user=manager, name="recovery codes")
    admin = f.staff(Role.HQ_ADMIN)
    client = Client()
    client.force_login(admin)

    response = client.post(reverse("web:staff-second-factor-reset", args=[manager.pk]))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticDevice.objects.filter(user=manager).exists()
    event = AuditEvent.objects.get(kind=AuditKind.SECOND_FACTOR, what="second_factor.reset")
    assert event.staff == admin and event.details["for"] == manager.username
    # At the next sign-in the manager enrols again.
    again = Client()
    sign_in(again, manager.username, PASSWORD)
    held = again.get(reverse("web:days"))
    assert held["Location"].startswith(reverse("second-factor-enrol"))


def test_demo_logins_skip_the_second_factor_only_with_the_demo_flag():
    admin = person(Role.HQ_ADMIN, second_factor=False)
    assert admin.needs_second_factor
    admin.demo_login = True
    admin.save()
    client = Client()
    sign_in(client, admin.username, PASSWORD)
    assert client.get(reverse("web:staff")).status_code == 200
    listing = client.get(reverse("web:signin-security")).content.decode()
    assert "demo account: second factor not required" in listing


# 8. Sessions -----------------------------------------------------------------------------


def test_sessions_last_at_most_twelve_hours_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


@pytest.mark.parametrize(
    ("role", "idle_minutes", "still_in"),
    [
        (Role.HQ_FINANCE, 29, True),
        (Role.HQ_FINANCE, 31, False),
        (Role.STORE_MANAGER, 31, False),
        (Role.STORE_CASHIER, 31, True),
        (Role.STORE_CASHIER, 7 * 60, True),
        (Role.STORE_CASHIER, 8 * 60 + 1, False),
    ],
)
def test_idle_sessions_end(role, idle_minutes, still_in):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    member = f.staff(role)
    client = Client()
    url = reverse("web:reports") if role != Role.STORE_CASHIER else reverse("web:counter")
    with time_machine.travel(start, tick=False):
        client.force_login(member)
        assert client.get(url).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=idle_minutes), tick=False):
        response = client.get(url)
    if still_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"
        assert "_auth_user_id" not in client.session


def test_an_idle_htmx_request_sends_the_whole_page_to_sign_in():
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    client = Client()
    with time_machine.travel(start, tick=False):
        client.force_login(f.staff(Role.HQ_ADMIN))
        client.get(reverse("web:staff"))
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        response = client.get(reverse("web:staff"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/login/")


def test_no_second_factor_secret_is_reachable_in_djangos_admin():
    admin = person(Role.HQ_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    device = TOTPDevice.objects.get(user=admin)
    client = Client()
    client.force_login(admin)

    index = client.get("/admin/").content.decode()
    config = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")

    assert "otp_totp" not in index and "otp_static" not in index
    assert config.status_code == 404
    assert device.key not in config.content.decode()
