"""The store manager's business day page (totals, close form, past days, Z report) and HQ
finance's reconciliation board with its drill-down and deposit form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.days.models import BusinessDay, DayState, DepositReceipt
from tests import factories as f
from tests.ledger.helpers import pay

pytestmark = pytest.mark.django_db

COUNTED = {"counted_cash": "105.00", "counted_bank_card": "0", "counted_mobile_pay": "0"}


@pytest.fixture
def sales():
    """At S01 today: a card sold for 100.00 + 5.00 fee in cash, a purchase of 30.00."""
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))
    card = f.sold_card(cashier, f.product(card_fee_minor=500), value_minor=10_000)
    pay(cashier, card, 3_000)
    return card


def close_url(day=None):
    return reverse("web:day-close", args=[(day or today()).isoformat()])


def test_manager_sees_todays_totals_and_the_close_form(client_for, sales):
    response = client_for(Role.STORE_MANAGER).get(reverse("web:days"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="close-day"' in html
    assert "105.00" in html  # expected cash
    assert "30.00" in html  # the purchase
    assert 'name="counted_cash"' in html and 'name="comment"' in html


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.HQ_STOCK, Role.HQ_FINANCE])
def test_other_roles_cannot_open_the_day_page(client_for, role):
    assert client_for(role).get(reverse("web:days")).status_code == 403


def test_closing_without_variance(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    response = client.post(close_url(), {**COUNTED, "comment": ""})
    assert response.status_code == 302
    day = BusinessDay.objects.get()
    assert day.state == DayState.CLOSED and day.variance_minor == 0
    page = client.get(reverse("web:days")).content.decode()
    # The page moves on to the next day (the store trades on into it); today is in the list.
    assert f"Close the business day {today().isoformat()}" not in page
    assert reverse("web:day-z-report", args=["S01", today().isoformat()]) in page


def test_a_variance_without_comment_is_shown_on_the_field(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    response = client.post(close_url(), {**COUNTED, "counted_cash": "104.00"})
    assert response.status_code == 422
    assert b'class="field has-error"' in response.content
    assert b'value="104.00"' in response.content  # what was typed is kept
    assert BusinessDay.objects.get().state == DayState.OPEN

    response = client.post(close_url(), {**COUNTED, "counted_cash": "104.00", "comment": "Short"})
    assert response.status_code == 302
    assert BusinessDay.objects.get().variance_minor == -100


def test_bad_counts_get_field_errors(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    for wrong in ("abc", "1.234", "--5", "- "):
        response = client.post(close_url(), {**COUNTED, "counted_cash": wrong, "comment": "x"})
        assert response.status_code == 422, wrong
        assert b'class="field has-error"' in response.content
    assert BusinessDay.objects.get().state == DayState.OPEN


def test_a_tender_may_be_counted_negative_money_paid_out_of_the_till(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    paid_out = {**COUNTED, "counted_mobile_pay": "-5.00", "comment": "Deposit paid back"}
    assert client.post(close_url(), paid_out).status_code == 302
    day = BusinessDay.objects.get()
    assert (day.state, day.declared_total_minor, day.variance_minor) == (
        DayState.CLOSED,
        10_000,
        -500,
    )
    assert day.takings.get(tender="mobile_pay").counted_minor == -500


def test_after_the_close_the_page_shows_the_day_the_store_trades_on_into(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    client.post(close_url(), COUNTED)
    pay(f.actor(Role.STORE_CASHIER, f.store("S01")), sales, 1_000)
    page = client.get(reverse("web:days")).content.decode()
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    assert f"Current day, {tomorrow}" in page
    assert 'id="trading-on"' in page and today().isoformat() in page
    assert 'id="close-day"' in page and "10.00" in page  # the new day's purchase


def test_closing_twice_is_a_clear_refusal(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    client.post(close_url(), COUNTED)
    response = client.post(close_url(), COUNTED)
    assert response.status_code == 409
    assert b"already closed" in response.content


def test_z_report_is_a_pdf_for_the_own_store_only(client_for, sales):
    client = client_for(Role.STORE_MANAGER)
    url = reverse("web:day-z-report", args=["S01", today().isoformat()])
    assert client.get(url).status_code == 404  # not closed yet
    client.post(close_url(), COUNTED)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    other = client_for(Role.STORE_MANAGER, f.store("S02"))
    assert other.get(url).status_code == 404
    assert client_for(Role.HQ_FINANCE).get(url).status_code == 200


def test_board_shows_statuses_and_drills_down(client_for, sales):
    manager = client_for(Role.STORE_MANAGER)
    manager.post(close_url(), {**COUNTED, "counted_cash": "104.00", "comment": "Short"})
    client = client_for(Role.HQ_FINANCE)
    response = client.get(reverse("web:reconciliation"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="difference"' in html
    day_url = reverse("web:reconciliation-day", args=["S01", today().isoformat()])
    assert day_url in html

    drill = client.get(day_url).content.decode()
    assert "R" + f"{sales.operations.get(kind='purchase').pk:010d}" in drill
    assert "Short" in drill
    assert 'id="deposit-form"' in drill


def test_board_filters_are_validated(client_for):
    client = client_for(Role.HQ_ADMIN)
    response = client.get(
        reverse("web:reconciliation"), {"date_from": "2026-01-10", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert b"The end comes before the start" in response.content


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.HQ_STOCK])
def test_board_is_for_finance_and_admin(client_for, role):
    assert client_for(role).get(reverse("web:reconciliation")).status_code == 403


def test_recording_a_deposit_is_idempotent(client_for, sales):
    client = client_for(Role.HQ_FINANCE)
    url = reverse("web:reconciliation-deposit", args=["S01", today().isoformat()])
    form = {"amount": "75.00", "reference": "BANK-1", "idempotency_key": f.key()}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double submit
    assert list(DepositReceipt.objects.values_list("amount_minor", flat=True)) == [7_500]

    bad = client.post(url, {**form, "amount": "abc", "idempotency_key": f.key()})
    assert bad.status_code == 422
    assert b'class="field has-error"' in bad.content
    assert DepositReceipt.objects.count() == 1


def test_unknown_store_or_day_is_not_found(client_for):
    client = client_for(Role.HQ_FINANCE)
    assert (
        client.get(reverse("web:reconciliation-day", args=["NOPE", "2026-01-01"])).status_code
        == 404
    )
    assert (
        client.get(reverse("web:reconciliation-day", args=["S01", "not-a-day"])).status_code == 404
    )
