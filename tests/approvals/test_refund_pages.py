"""The four-eyes counter and day pages: a cashier's refund above the threshold is sent to
a manager, who finds it under "Waiting for approval" at the counter and approves it (never
their own); a closed day's "Request reopening" files a request HQ approves."""

from __future__ import annotations

import pytest

from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.days.closing import close_day
from membercard.days.models import BusinessDay, DayState
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.ledger.helpers import pay
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = 1_000


@pytest.fixture
def bought(cashier):
    return pay(cashier, f.sold_card(cashier, value_minor=10_000), 4_000)


def _refund(client, bought, amount="25.00"):
    data = {"operation": bought.pk, "amount": amount, "idempotency_key": f.key(), "reason": "x"}
    return client.post("/counter/refund/", data, follow=True)


def test_a_cashiers_refund_waits_for_a_manager_at_the_counter(bought):
    cashier = signed_in(Role.STORE_CASHIER)
    page = _refund(cashier, bought).content.decode()
    request = ApprovalRequest.objects.get()
    assert f"Sent to a manager for approval: request #{request.pk}" in page
    assert not Operation.objects.filter(kind=OperationKind.REFUND).exists()
    # The cashier follows their own request (the card masked) but never decides it...
    mine = cashier.get("/counter/approvals/").content.decode()
    assert f'href="/approvals/{request.pk}/"' in mine and "My requests" in mine
    assert bought.card.number not in mine and bought.card.number[-4:] in mine
    detail = cashier.get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="approve-button"' not in detail and bought.card.number not in detail
    assert cashier.post(f"/approvals/{request.pk}/approve/", {"note": "ok"}).status_code == 403
    # ...and another cashier of the store does not see it.
    other = signed_in(Role.STORE_CASHIER, bought.location)
    assert other.get(f"/approvals/{request.pk}/").status_code == 404
    assert f"/approvals/{request.pk}/" not in other.get("/counter/approvals/").content.decode()
    # The manager sees the count in the counter menu and the request in the list
    manager = signed_in(Role.STORE_MANAGER)
    counter = manager.get("/counter/").content.decode()
    assert "Waiting for approval (1)" in counter
    listing = manager.get("/counter/approvals/").content.decode()
    assert f'href="/approvals/{request.pk}/"' in listing
    detail = manager.get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="approve-button"' in detail and 'id="refund-of"' in detail
    assert bought.receipt_number in detail
    response = manager.post(f"/approvals/{request.pk}/approve/", {"note": "ok"}, follow=True)
    assert "Approved: operation" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.operation.refund_of_id == bought.pk
    assert request.operation.staff == cashier.staff
    assert "Waiting for approval (1)" not in manager.get("/counter/").content.decode()


def test_another_stores_manager_does_not_see_the_request(bought):
    _refund(signed_in(Role.STORE_CASHIER), bought)
    request = ApprovalRequest.objects.get()
    elsewhere = signed_in(Role.STORE_MANAGER, f.store("S02"))
    assert elsewhere.get(f"/approvals/{request.pk}/").status_code == 404
    assert elsewhere.post(f"/approvals/{request.pk}/approve/", {}).status_code == 404
    assert f'href="/approvals/{request.pk}/"' not in (
        elsewhere.get("/counter/approvals/").content.decode()
    )
    request.refresh_from_db()
    assert request.state == RequestState.PENDING


def test_under_the_threshold_the_cashier_refunds_at_once(bought):
    response = _refund(signed_in(Role.STORE_CASHIER), bought, amount="9.99")
    assert response.redirect_chain[-1][0].startswith("/counter/receipts/")
    assert not ApprovalRequest.objects.exists()


def test_a_closed_day_is_reopened_by_request_and_hq_approval(cashier, manager, bought):
    close_day(actor=manager, counted={"cash": 10_000})
    store_manager = signed_in(Role.STORE_MANAGER)
    on = today().isoformat()
    assert 'id="request-reopening"' in store_manager.get("/days/").content.decode()
    url = f"/days/reopen/S01/{on}/"
    assert 'id="reopen-form"' in store_manager.get(url).content.decode()
    data = {"reason": "Card payments were missed", "idempotency_key": f.key()}
    response = store_manager.post(url, data, follow=True)
    request = ApprovalRequest.objects.get(kind="reopen_day")
    assert f"Sent for approval: request #{request.pk}" in response.content.decode()
    # The store manager cannot approve it; HQ admin can, on the request's page
    assert 'id="approve-button"' not in response.content.decode()
    # While it waits the page links it instead of a second form, and a second is refused.
    waiting = store_manager.get(url).content.decode()
    assert 'id="reopen-waiting"' in waiting and 'id="reopen-form"' not in waiting
    again = store_manager.post(url, {**data, "idempotency_key": f.key()})
    assert again.status_code == 422 and ApprovalRequest.objects.count() == 1
    admin = signed_in(Role.HQ_ADMIN)
    page = admin.get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="reopen-day"' in page and 'id="approve-button"' in page
    admin.post(f"/approvals/{request.pk}/approve/", {})
    day = BusinessDay.objects.get(location__code="S01", business_date=today())
    assert day.state == DayState.OPEN
    # A cashier does not reach the page
    assert signed_in(Role.STORE_CASHIER).get(url).status_code == 403
