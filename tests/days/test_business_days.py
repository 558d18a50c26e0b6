"""Business days: opened by the first operation, closed by the store manager with counted
takings, sealed; a closed day takes no new operation (later ones go to the next day, see
tests/days/test_trading_after_close.py); ``verify`` rechecks every seal."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from membercard.core.calendar import today
from membercard.core.errors import DayClosed, NotPermitted, NotReversible, ValidationFailed
from membercard.core.models import Role
from membercard.days import gate as business_days
from membercard.days.closing import close_day
from membercard.days.models import BusinessDay, DayState, DayTakings
from membercard.days.seals import seal_of, verify_seals
from membercard.days.zreport import z_report_pdf
from membercard.ledger.models import Operation
from membercard.operations import purchase, reverse, top_up
from tests import factories as f
from tests.ledger.helpers import add, pay, refused
from tests.ledger.tamper import execute, triggers_lifted

pytestmark = pytest.mark.django_db

COUNT = {"cash": 10_500, "bank_card": 0, "mobile_pay": 0}


@pytest.fixture
def product():
    return f.product(card_fee_minor=500, stores_may_top_up=True)


@pytest.fixture
def store_day(cashier, manager, product):
    """At S01 today: a card sold for 100.00 + 5.00 fee in cash, a purchase of 30.00."""
    card = f.sold_card(cashier, product, value_minor=10_000)
    pay(cashier, card, 3_000)
    return card


def test_the_first_operation_opens_the_store_day(cashier, product):
    assert not BusinessDay.objects.exists()
    f.sold_card(cashier, product)
    day = BusinessDay.objects.get()
    assert (day.location, day.business_date, day.state) == (
        cashier.location,
        today(),
        DayState.OPEN,
    )
    f.sold_card(cashier, product)
    assert BusinessDay.objects.count() == 1


def test_hq_operations_open_no_day(cashier, finance, store_day):
    BusinessDay.objects.all().delete()
    add(finance, store_day, 1_000)
    assert not BusinessDay.objects.exists()


def test_close_without_variance(store_day, manager):
    day = close_day(actor=manager, counted=COUNT)

    day.refresh_from_db()
    assert day.state == DayState.CLOSED
    assert day.closed_by == manager.staff and day.closed_at is not None
    assert (day.expected_total_minor, day.declared_total_minor, day.variance_minor) == (
        10_500,
        10_500,
        0,
    )
    assert day.totals["tenders"]["cash"] == {"card_sales": 10_000, "top_ups": 0, "fees": 500}
    assert day.totals["redeemed_principal"] == 3_000
    assert day.totals["kinds"]["purchase"] == {"count": 1, "net_minor": 3_000}
    takings = {t.tender: (t.expected_minor, t.counted_minor) for t in day.takings.all()}
    assert takings == {"cash": (10_500, 10_500), "bank_card": (0, 0), "mobile_pay": (0, 0)}
    seal = seal_of(manager.location.pk, today())
    assert day.seal_digest == seal.digest and len(seal.digest) == 64
    assert day.seal_operation_count == 2
    assert day.seal_last_operation_id == Operation.objects.latest("pk").pk


def test_close_with_variance_needs_a_comment_and_keeps_it(store_day, manager):
    short = {**COUNT, "cash": 10_300}
    with pytest.raises(ValidationFailed) as info:
        close_day(actor=manager, counted=short)
    assert info.value.extra["field"] == "comment"
    assert BusinessDay.objects.get().state == DayState.OPEN
    assert not DayTakings.objects.exists()

    day = close_day(actor=manager, counted=short, comment="Two coins fell behind the till.")
    day.refresh_from_db()
    assert day.variance_minor == -200
    assert day.declared_total_minor == 10_300
    assert day.comment == "Two coins fell behind the till."
    assert day.takings.get(tender="cash").variance_minor == -200


def test_only_the_stores_manager_closes(store_day, cashier):
    with pytest.raises(NotPermitted):
        close_day(actor=cashier, counted=COUNT)
    assert BusinessDay.objects.get().state == DayState.OPEN


def test_counts_are_checked(store_day, manager):
    with pytest.raises(ValidationFailed):
        close_day(actor=manager, counted={"cheque": 100})
    for wrong in ("5", 1.5, True, -(10**15)):
        with pytest.raises(Exception) as info:
            close_day(actor=manager, counted={"cash": wrong}, comment="why")
        assert info.value.code == "invalid_amount", wrong
    assert BusinessDay.objects.get().state == DayState.OPEN


def test_a_tender_counted_negative_is_money_paid_out_of_the_till(store_day, manager):
    """A deposit paid back in mobile pay: the till holds 5.00 less on that tender."""
    counted = {"cash": 10_500, "bank_card": 0, "mobile_pay": -500}
    with pytest.raises(ValidationFailed):
        close_day(actor=manager, counted=counted)  # a variance needs its comment
    day = close_day(actor=manager, counted=counted, comment="Deposit paid back by phone.")
    day.refresh_from_db()
    assert (day.expected_total_minor, day.declared_total_minor, day.variance_minor) == (
        10_500,
        10_000,
        -500,
    )
    paid_out = day.takings.get(tender="mobile_pay")
    assert (paid_out.counted_minor, paid_out.variance_minor) == (-500, -500)
    assert verify_seals().problems == []


def test_closing_a_closed_day_is_refused(store_day, manager):
    close_day(actor=manager, counted=COUNT)
    with pytest.raises(DayClosed) as info:
        close_day(actor=manager, counted=COUNT, business_date=today())
    assert info.value.code == "day_closed"
    assert DayTakings.objects.count() == 3


def test_an_empty_day_can_be_closed(manager):
    day = close_day(actor=manager, counted={})
    assert day.seal_operation_count == 0 and day.declared_total_minor == 0


def test_a_closed_day_takes_no_new_operation(store_day, manager, cashier, finance, product):
    day = close_day(actor=manager, counted=COUNT)
    later = pay(cashier, store_day, 1_000)
    assert later.business_date == today() + dt.timedelta(days=1)
    tomorrow = BusinessDay.objects.get(business_date=later.business_date)
    assert tomorrow.state == DayState.OPEN and tomorrow.location == manager.location
    # The closed day's operations can no longer be reversed (its reversal would be a new
    # operation of a later day undoing a sealed one), the new day's can.
    sealed_purchase = Operation.objects.filter(kind="purchase", business_date=today()).get()
    with refused(NotReversible, "not_reversible", store_day):
        reverse(actor=manager, operation_id=sealed_purchase.pk, idempotency_key=f.key())
    reverse(actor=manager, operation_id=later.pk, idempotency_key=f.key())
    # Another store's day and headquarters go on, on today's date.
    other = f.actor(Role.STORE_CASHIER, f.store("S02"))
    assert f.sold_card(other, product).operations.get().business_date == today()
    at_hq = top_up(
        actor=finance,
        card_number=store_day.number,
        amount_minor=500,
        tender="cash",
        idempotency_key=f.key(),
    )
    assert at_hq.business_date == today()
    assert seal_of(manager.location.pk, today()).digest == day.seal_digest
    assert verify_seals().problems == []


def verify_output() -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("verify", stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


def test_verify_rechecks_seals(store_day, manager):
    close_day(actor=manager, counted=COUNT)
    output, ok = verify_output()
    assert ok, output
    assert "business days: clean (1 sealed days, 1 seal chains)" in output


def test_a_changed_operation_of_a_sealed_day_is_caught(store_day, manager):
    close_day(actor=manager, counted=COUNT)
    with triggers_lifted("ledger_operation"):
        execute("UPDATE ledger_operation SET reference = 'x' WHERE kind = 'purchase'")
    output, ok = verify_output()
    assert not ok
    expected = f"business day S01 {today().isoformat()}: its operations do not match the seal"
    assert expected in output


def test_an_operation_moved_into_a_sealed_day_is_caught(store_day, manager, product):
    close_day(actor=manager, counted=COUNT)
    elsewhere = f.actor(Role.STORE_CASHIER, f.store("S02"))
    f.sold_card(elsewhere, product)
    with triggers_lifted("ledger_operation"):
        execute(
            "UPDATE ledger_operation SET location_id = %s WHERE location_id = %s",
            [manager.location.pk, elsewhere.location.pk],
        )
    problems = verify_seals().problems
    day = today().isoformat()
    assert problems == [
        f"business day S01 {day}: sealed 2 operations, but 3 are recorded for it now"
    ]


def test_a_rewritten_seal_is_caught(store_day, manager):
    close_day(actor=manager, counted=COUNT)
    BusinessDay.objects.update(seal_digest="0" * 64)
    where = f"business day S01 {today().isoformat()}"
    assert verify_seals().problems == [
        f"{where}: its operations do not match the seal any more",
        f"{where}: the seal chain does not end on the day's seal",
    ]


def test_z_report_reads_back(store_day, manager):
    manager.staff.first_name, manager.staff.last_name = "Mei", "王"
    manager.staff.save()
    day = close_day(actor=manager, counted={**COUNT, "cash": 10_400}, comment="Short by 1.00")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(z_report_pdf(day))).pages)
    assert "S01" in text and today().isoformat() in text
    assert day.seal_digest in text.replace("\n", "")
    assert "105.00" in text  # expected cash
    assert "104.00" in text  # counted cash
    assert "-1.00" in text  # variance
    assert "Short by 1.00" in text
    assert "30.00" in text  # purchases paid by card


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_posting_adds_at_most_two_queries(cashier, product, monkeypatch):
    """The day check costs one query once the day is open, two for its first operation."""
    card = f.sold_card(cashier, product, value_minor=50_000)

    def buy():
        purchase(actor=cashier, card_number=card.number, amount_minor=100, idempotency_key=f.key())

    buy()  # opens the house accounts a purchase needs
    BusinessDay.objects.all().delete()  # the next purchase is the day's first again
    first_with = _queries(buy)
    again_with = _queries(buy)
    real = business_days.enter_day
    monkeypatch.setattr("membercard.operations.posting.enter_day", lambda location, on: on)
    without = _queries(buy)
    monkeypatch.setattr("membercard.operations.posting.enter_day", real)
    print(
        f"purchase queries: without day check {without}, first of day {first_with}, "
        f"day open {again_with}"
    )
    assert first_with - without == 2
    assert again_with - without == 1
