"""After its day is closed a store trades on: later operations belong to the next business
day, which they open; the closed day never receives a new operation, so its seal, Z report
and figures stay exact. Reopening and closing again are recorded in the day's seal chain.
Time is pinned (cut-off 04:00, Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from membercard.approvals.days import request_day_reopening
from membercard.approvals.services import approve
from membercard.core.errors import ValidationFailed
from membercard.core.models import Role
from membercard.days.closing import close_day
from membercard.days.gate import current_day
from membercard.days.models import BusinessDay, DayState, SealEvent, SealEventKind
from membercard.days.reconciliation import day_figures
from membercard.days.seals import seal_of, verify_seals
from membercard.days.zreport import z_report_pdf
from membercard.ledger.models import Operation
from tests import factories as f
from tests.ledger.helpers import pay
from tests.ledger.tamper import execute, triggers_lifted

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 12, 7)
TUESDAY = MONDAY + dt.timedelta(days=1)


def z_text(day: BusinessDay) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(z_report_pdf(day))).pages)


def at(day: dt.date, hour: int, minute: int = 0):
    moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def monday_closed_at_2330(cashier, manager):
    """S01 sells a card for 100.00 and takes 30.00 on Monday, and closes at 23:30."""
    with at(MONDAY, 10):
        card = f.sold_card(cashier, value_minor=10_000)
        pay(cashier, card, 3_000)
    with at(MONDAY, 23, 30):
        close_day(actor=manager, counted={"cash": 10_000})
    return card


def test_a_store_open_past_midnight_trades_on_into_the_next_day(
    cashier, manager, monday_closed_at_2330
):
    card = monday_closed_at_2330
    monday = BusinessDay.objects.get(business_date=MONDAY)
    z_before = z_text(monday)
    with at(MONDAY, 23, 45):
        evening = pay(cashier, card, 1_000)
    with at(TUESDAY, 0, 30):  # still Monday by the 04:00 cut-off
        assert current_day(cashier.location) == TUESDAY
        night = pay(cashier, card, 700)
    with at(TUESDAY, 10):
        morning = pay(cashier, card, 300)
    assert [op.business_date for op in (evening, night, morning)] == [TUESDAY] * 3

    # Monday is exactly as it was sealed; Tuesday holds the three purchases.
    monday.refresh_from_db()
    assert monday.state == DayState.CLOSED
    assert Operation.objects.filter(business_date=MONDAY).count() == 2
    assert seal_of(monday.location_id, MONDAY).digest == monday.seal_digest
    assert z_text(monday) == z_before
    assert day_figures(cashier.location, MONDAY).redeemed_principal == 3_000
    assert day_figures(cashier.location, TUESDAY).redeemed_principal == 2_000
    with at(TUESDAY, 22):
        tuesday = close_day(actor=manager, counted={"cash": 0})
    assert tuesday.business_date == TUESDAY and tuesday.seal_operation_count == 3
    assert verify_seals().problems == []


def test_the_current_day_can_be_closed_before_the_calendar_reaches_it(
    cashier, manager, monday_closed_at_2330
):
    with at(TUESDAY, 1):
        pay(cashier, monday_closed_at_2330, 700)
        with pytest.raises(ValidationFailed):
            close_day(actor=manager, counted={}, business_date=TUESDAY + dt.timedelta(days=1))
        tuesday = close_day(actor=manager, counted={"cash": 0})
        assert tuesday.business_date == TUESDAY and tuesday.seal_operation_count == 1
        later = pay(cashier, monday_closed_at_2330, 100)
    assert later.business_date == TUESDAY + dt.timedelta(days=1)  # Tuesday is closed too
    assert verify_seals().problems == []


def test_a_reopened_day_takes_operations_again_while_it_is_the_calendars_day(
    cashier, manager, monday_closed_at_2330
):
    with at(TUESDAY, 0, 30):
        spilled = pay(cashier, monday_closed_at_2330, 700)  # opens Tuesday
        request = request_day_reopening(
            actor=manager,
            location_code="S01",
            business_date=MONDAY,
            reason="Recount the cash",
            idempotency_key=f.key(),
        )
        approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
        assert current_day(cashier.location) == MONDAY
        again = pay(cashier, monday_closed_at_2330, 100)
    with at(TUESDAY, 5):
        morning = pay(cashier, monday_closed_at_2330, 100)
    dates = [op.business_date for op in (spilled, again, morning)]
    assert dates == [TUESDAY, MONDAY, TUESDAY]
    with at(TUESDAY, 6):
        close_day(actor=manager, counted={"cash": 10_000}, business_date=MONDAY)
    assert BusinessDay.objects.get(business_date=MONDAY).seal_operation_count == 3
    assert verify_seals().problems == []


def chain(on: dt.date) -> list[SealEvent]:
    return list(SealEvent.objects.filter(business_date=on).order_by("pk"))


def test_the_seal_chain_records_the_close_the_reopening_and_the_new_seal(
    cashier, manager, monday_closed_at_2330
):
    first_seal = BusinessDay.objects.get(business_date=MONDAY).seal_digest
    checker = f.actor(Role.HQ_FINANCE)
    with at(MONDAY, 23, 40):
        request = request_day_reopening(
            actor=manager,
            location_code="S01",
            business_date=MONDAY,
            reason="The card payments were missed",
            idempotency_key=f.key(),
        )
        approve(actor=checker, request_id=request.pk)
        pay(cashier, monday_closed_at_2330, 500)  # Monday is open again and current
        close_day(actor=manager, counted={"cash": 10_000})
    new_seal = BusinessDay.objects.get(business_date=MONDAY).seal_digest
    assert new_seal != first_seal

    sealed, reopened, resealed = chain(MONDAY)
    assert (sealed.kind, sealed.seal_digest, sealed.staff) == (
        SealEventKind.SEALED,
        first_seal,
        manager.staff,
    )
    assert (reopened.kind, reopened.seal_digest, reopened.reason) == (
        SealEventKind.REOPENED,
        first_seal,
        "The card payments were missed",
    )
    assert (reopened.staff, reopened.requested_by) == (checker.staff, manager.staff)
    assert reopened.approval_request_id == request.pk
    assert (resealed.kind, resealed.seal_digest, resealed.seal_operation_count) == (
        SealEventKind.SEALED,
        new_seal,
        3,
    )
    assert [e.previous_hash for e in (sealed, reopened, resealed)] == [
        "",
        sealed.hash,
        reopened.hash,
    ]
    summary = verify_seals()
    assert summary.problems == [] and summary.checked["seal chains"] == 1


def test_a_rewritten_or_dropped_chain_row_is_caught(cashier, manager, monday_closed_at_2330):
    with at(MONDAY, 23, 40):
        request = request_day_reopening(
            actor=manager,
            location_code="S01",
            business_date=MONDAY,
            reason="Recount",
            idempotency_key=f.key(),
        )
        approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
    where = f"business day S01 {MONDAY.isoformat()}"
    broken_at = chain(MONDAY)[1].pk
    with triggers_lifted("days_sealevent"):
        execute("UPDATE days_sealevent SET reason = 'nothing to see' WHERE kind = 'reopened'")
        assert verify_seals().problems == [
            f"{where}: the seal chain is broken at its row {broken_at}"
        ]
        execute("DELETE FROM days_sealevent WHERE kind = 'reopened'")
    assert verify_seals().problems == [
        f"{where}: the day is open, but its seal chain does not say it reopened",
        f"{where}: the seal chain records 0 reopening(s), 1 are kept",
    ]


def test_the_seal_chain_is_append_only(manager, monday_closed_at_2330):
    for statement in ("UPDATE days_sealevent SET reason = 'x'", "DELETE FROM days_sealevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            execute(statement)
    assert SealEvent.objects.count() == 1
