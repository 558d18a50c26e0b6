"""Issue #13, reproduction 7 and the counter half of 3: one throttle for every card look-up.

Before: one cashier session had 200 random valid-check-digit numbers answered by the web
counter in 5 s (the API's limit did not apply there), and the counter's card field was a
GET form, so every swipe landed in the access log as ``GET /counter/card/?card=…``.
After: the card is posted; web and API look-ups share one throttle per terminal key or
staff member and per client address; misses are counted per asker and day; HQ admin is
alerted on the home page once someone passes the daily miss threshold.
"""

from __future__ import annotations

import pytest
from django.test import Client

from membercard.cards import lookups
from membercard.cards.models import LookupCounter, LookupMiss
from membercard.core.models import Role
from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import API, make_till, run_threads, unused_number
from tests.web.conftest import signed_in
from tests.web.test_counter_helpers import HTMX, key_in, seller

pytestmark = pytest.mark.django_db

CARD_ERRORS = {**HTMX, "X-Error-Target": "#card-error"}
NOW = 1_800_000_030.25  # 30.25 s into a minute: no window ends during a test


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr(lookups, "_now", lambda: now[0])
    return now


@pytest.fixture
def product():
    f.hq()
    f.store()
    return f.product()


@pytest.fixture
def cashier(product):
    return signed_in(Role.STORE_CASHIER)


def look(client: Client, raw: str, **extra):
    return client.post("/counter/card/", {"card": raw}, headers=CARD_ERRORS, **extra)


def test_200_guessed_numbers_from_one_cashier_are_refused_after_the_limit(
    cashier, product, settings
):
    limit = settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF
    assert limit < 200 and limit >= settings.MEMBERCARD_LOOKUP_MISS_ALERT
    statuses = [look(cashier, unused_number(product)).status_code for _ in range(200)]
    assert statuses == [404] * limit + [429] * (200 - limit)

    refused = look(cashier, unused_number(product))
    assert refused["HX-Retarget"] == "#card-error"
    assert b'data-code="throttled"' in refused.content
    assert b"Too many card look-ups; try again in 30 s." in refused.content

    # Every miss before the limit is kept for this staff member, with where it came from.
    miss = LookupMiss.objects.get()
    assert (miss.staff_id, miss.terminal_id, miss.location.code) == (
        cashier.staff.pk,
        None,
        "S01",
    )
    assert (miss.misses, miss.last_address) == (limit, "127.0.0.1")

    # HQ admin is alerted on the home page, with a link to the list of misses.
    admin = signed_in(Role.HQ_ADMIN)
    home = admin.get("/").content.decode()
    assert 'id="lookup-alert"' in home and str(cashier.staff) in home
    assert 'href="/hq/lookup-misses/"' in home
    page = admin.get("/hq/lookup-misses/").content.decode()
    assert f'data-asker="staff:{cashier.staff.pk}" class="flagged"' in page
    assert "127.0.0.1" in page and f">{limit}<" in page


def test_the_limit_is_per_staff_member_not_per_session(cashier, product, settings, clock):
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 3
    second_session = Client()
    second_session.force_login(cashier.staff)
    card = f.sold_card(seller())
    assert [look(cashier, card.number).status_code for _ in range(2)] == [200, 200]
    assert look(second_session, card.number).status_code == 200
    assert look(second_session, card.number).status_code == 429
    refused = look(cashier, card.number)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60  # the rest of the window
    # Another cashier at the same till address has their own room.
    assert look(signed_in(Role.STORE_CASHIER), card.number).status_code == 200
    clock[0] = NOW + 30  # the next window
    assert look(cashier, card.number).status_code == 200


def test_web_and_api_share_the_address_limit(cashier, product, settings):
    """One throttle: a guesser gains nothing by switching between a till's key and a
    browser at the same address."""
    settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS = 5
    till = make_till("S01", "till-1")
    card = f.sold_card(seller())
    api = [till.get(f"/cards/{card.number}").status_code for _ in range(3)]
    web = [look(cashier, card.number).status_code for _ in range(3)]
    assert api + web == [200] * 5 + [429]
    assert till.get(f"/cards/{card.number}").json()["code"] == "throttled"


def test_below_the_threshold_there_is_no_alert_and_only_hq_admin_sees_it(
    cashier, product, settings
):
    settings.MEMBERCARD_LOOKUP_MISS_ALERT = 3
    for _ in range(2):
        look(cashier, unused_number(product))
    admin = signed_in(Role.HQ_ADMIN)
    assert b'id="lookup-alert"' not in admin.get("/").content
    look(cashier, unused_number(product))
    assert b'id="lookup-alert"' in admin.get("/").content
    assert b'id="lookup-alert"' not in signed_in(Role.HQ_FINANCE).get("/").content
    assert signed_in(Role.HQ_FINANCE).get("/hq/lookup-misses/").status_code == 403
    assert signed_in(Role.STORE_MANAGER).get("/hq/lookup-misses/").status_code == 403


def test_the_counter_look_up_is_a_post_and_a_number_in_a_url_is_not_looked_up(cashier):
    card = f.sold_card(seller())
    assert cashier.get("/counter/card/", {"card": card.number}, headers=HTMX).status_code == 405
    page = cashier.get("/counter/", {"card": card.number})
    assert b'id="balance"' not in page.content
    assert not LookupCounter.objects.exists()  # nothing was even counted as a look-up
    opened = cashier.post("/counter/card/", {"card": card.number})  # no JS: redirect
    assert opened.status_code == 302 and card.number not in opened["Location"]
    assert b'id="balance"' in cashier.get(opened["Location"]).content


def test_numbers_typed_into_counter_forms_are_look_ups_too(cashier, product, settings):
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 2
    data = {"initial_value": "50", "tender": "cash"}
    statuses = [
        cashier.post(
            "/counter/sell/", {**data, "card": unused_number(product), "idempotency_key": f.key()}
        )
        for _ in range(3)
    ]
    assert [response.status_code for response in statuses] == [404, 404, 429]
    assert b"Too many card look-ups" in statuses[-1].content
    assert LookupMiss.objects.get().misses == 2
    assert not Operation.objects.exists()


def test_made_up_numbers_posted_back_by_a_form_count_as_misses_and_are_throttled(
    cashier, product, settings
):
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 2
    card = f.sold_card(seller(), f.product(stores_may_top_up=True), value_minor=1_000)
    topup = {"amount": "1", "tender": "cash"}
    # A real card, posted back again and again, is a till at work: not throttled.
    for _ in range(3):
        page = cashier.post(
            "/counter/top-up/", {**topup, "card": card.number, "idempotency_key": f.key()}
        )
        assert page.status_code == 302
    guesses = [
        cashier.post(
            "/counter/top-up/", {**topup, "card": unused_number(product), "idempotency_key": "k"}
        )
        for _ in range(3)
    ]
    assert [response.status_code for response in guesses] == [404, 404, 429]
    assert LookupMiss.objects.get().misses == 3
    assert f.balances(card)[0] == 1_300


def test_the_panel_handle_cannot_be_forged_or_used_for_another_stores_shelf(cashier, product):
    panel = look(cashier, f.sold_card(seller()).number).content
    assert key_in(panel, "purchase-form")
    assert cashier.get("/counter/", {"ref": "12:1abc:forged"}).status_code == 404
    from membercard.web.views.counter import card_ref

    elsewhere = f.stock_card(product, f.store("S02"))
    assert cashier.get("/counter/", {"ref": card_ref(elsewhere)}).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_look_ups_of_one_staff_member_are_counted_exactly(product, settings):
    """Threads with their own connections look up at once as one cashier: exactly the
    limit pass."""
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 13
    cashier = signed_in(Role.STORE_CASHIER)
    card = f.sold_card(seller())

    def work(index: int) -> list[int]:
        client = Client()
        client.force_login(cashier.staff)
        return [look(client, card.number).status_code for _ in range(5)]

    statuses = [status for batch in run_threads(8, work) for status in batch]
    assert statuses.count(200) == 13
    assert statuses.count(429) == 40 - 13
    counter = LookupCounter.objects.get(bucket=f"staff:{cashier.staff.pk}")
    assert counter.hits == 40


def test_api_look_ups_still_answer_problem_json_when_throttled(product, settings):
    settings.MEMBERCARD_API_THROTTLE_PER_KEY = 1
    till = make_till("S01", "till-1")
    number = unused_number(product)
    assert till.client.get(f"{API}/cards/{number}").status_code == 404
    refused = till.client.get(f"{API}/cards/{number}")
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert refused.json()["detail"] == "Too many card reads for this key; try again in 30 s."
