"""Reopening a closed business day under four eyes (membercard.approvals.days): a store
manager or HQ asks with a reason; HQ admin or finance other than the maker approve; the
day opens again, the close it undid is kept, and after the next close every seal (the old
one included) verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.days import request_day_reopening
from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.approvals.services import approve, reject
from membercard.core.calendar import today
from membercard.core.errors import (
    NotFound,
    NotPermitted,
    OwnRequest,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.days.closing import close_day, reopen_day
from membercard.days.models import BusinessDay, DayReopening, DayState, DayTakings
from membercard.days.seals import verify_seals
from tests import factories as f
from tests.ledger.helpers import pay

pytestmark = pytest.mark.django_db

COMMENT = "counted in a hurry"


@pytest.fixture
def closed(cashier, manager):
    """Today at S01 with a sale and a purchase, closed by its manager."""
    card = f.sold_card(cashier, value_minor=10_000)
    pay(cashier, card, 1_500)
    close_day(actor=manager, counted={"cash": 9_000}, comment=COMMENT)
    return card


@pytest.fixture
def checker():
    return f.actor(Role.HQ_ADMIN)


def ask(actor, reason="The till's card payments were missed", **kw):
    kw.setdefault("idempotency_key", f.key())
    kw.setdefault("location_code", "S01")
    kw.setdefault("business_date", today())
    return request_day_reopening(actor=actor, reason=reason, **kw)


def day() -> BusinessDay:
    return BusinessDay.objects.get(location__code="S01", business_date=today())


def test_a_request_changes_nothing_until_approved(manager, closed):
    request = ask(manager)
    assert request.state == RequestState.PENDING
    assert request.preview["seal_operation_count"] == 2
    assert request.preview["variance_minor"] == 9_000 - 10_000
    assert day().state == DayState.CLOSED
    assert not DayReopening.objects.exists()


def test_a_reason_is_required_and_only_a_closed_day_is_reopened(manager, cashier, closed):
    with pytest.raises(ValidationFailed):
        ask(manager, reason="  ")
    with pytest.raises(NotFound):
        ask(manager, business_date=today() - dt.timedelta(days=9))
    with pytest.raises(NotPermitted):
        ask(cashier)
    # Another store's manager does not see S01's days
    with pytest.raises(NotFound):
        ask(f.actor(Role.STORE_MANAGER, f.store("S02")))


def test_approval_reopens_keeps_the_old_close_and_the_reclosed_day_verifies(
    manager, cashier, checker, closed
):
    sealed = day()
    request = ask(manager)
    approve(actor=checker, request_id=request.pk)
    reopened = day()
    assert reopened.state == DayState.OPEN and reopened.seal_digest == ""
    assert not DayTakings.objects.filter(day=reopened).exists()
    old = DayReopening.objects.get()
    assert (old.seal_digest, old.seal_operation_count) == (sealed.seal_digest, 2)
    assert old.takings["cash"] == {"expected_minor": 10_000, "counted_minor": 9_000}
    assert (old.requested_by, old.approved_by) == (manager.staff, checker.staff)
    assert old.approval_request_id == request.pk
    # A reopened day that is not closed again is open: operations go on it
    pay(cashier, closed, 500)
    assert verify_seals().problems == []
    close_day(actor=manager, counted={"cash": 10_000})
    reclosed = day()
    assert reclosed.state == DayState.CLOSED and reclosed.seal_operation_count == 3
    summary = verify_seals()
    assert summary.problems == []
    assert summary.checked["earlier seals of reopened days"] == 1


def test_a_changed_earlier_seal_is_caught(manager, checker, closed):
    approve(actor=checker, request_id=ask(manager).pk)
    DayReopening.objects.update(seal_digest="0" * 64)
    problems = verify_seals().problems
    assert len(problems) == 1 and "do not match that seal" in problems[0]


def test_the_maker_cannot_approve_and_a_store_manager_cannot_approve(manager, finance, closed):
    own = ask(finance)
    with pytest.raises(OwnRequest):
        approve(actor=finance, request_id=own.pk)
    reject(actor=f.actor(Role.HQ_FINANCE), request_id=own.pk, note="One at a time")
    with pytest.raises(NotPermitted):
        approve(actor=f.actor(Role.STORE_MANAGER), request_id=ask(manager).pk)
    assert day().state == DayState.CLOSED


def test_one_request_at_a_time_per_day(manager, finance, closed):
    first = ask(manager)
    with pytest.raises(ValidationFailed, match=f"Request #{first.pk} to reopen this day"):
        ask(finance)
    reject(actor=f.actor(Role.HQ_ADMIN), request_id=first.pk, note="Count it tomorrow")
    assert ask(finance).state == RequestState.PENDING  # once decided, a new one may be made


def test_rejected_or_expired_reopens_nothing(manager, checker, closed):
    reject(actor=checker, request_id=ask(manager).pk, note="Count it on the next day")
    expired = ask(manager)
    ApprovalRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert day().state == DayState.CLOSED
    assert not DayReopening.objects.exists()


def test_a_day_closed_again_since_the_request_is_stale(manager, checker, closed):
    asked = ask(manager)
    # Reopened and closed again meanwhile (the day service itself, below the approvals).
    reopen_day(approved_by=checker, location=day().location, business_date=today(), reason="x")
    close_day(actor=manager, counted={"cash": 10_000})
    with pytest.raises(RequestStale):
        approve(actor=f.actor(Role.HQ_FINANCE), request_id=asked.pk)
    assert day().state == DayState.CLOSED
    assert DayReopening.objects.count() == 1
