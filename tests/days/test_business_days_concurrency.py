"""Closing a day while tills post into it, on PostgreSQL with real threads: the close waits
for the operation in flight (it holds the day ``FOR SHARE``) and seals it; operations after
the close go to the next business day; tills of one store do not wait for each other."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from membercard.core.models import Role
from membercard.days import gate as business_days
from membercard.days.closing import close_day
from membercard.days.models import BusinessDay, DayState
from membercard.days.seals import verify_seals
from membercard.ledger.models import Operation
from membercard.operations import purchase
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(work, results: dict, name: str) -> threading.Thread:
    def body():
        try:
            results[name] = work()
        except Exception as exc:  # handed to the test
            results[name] = exc
        finally:
            results[f"{name}_done_at"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


def test_close_waits_for_the_operation_in_flight_and_seals_it(monkeypatch):
    cashier, manager = f.actor(Role.STORE_CASHIER), f.actor(Role.STORE_MANAGER)
    card = f.sold_card(cashier, f.product(), value_minor=10_000)
    inside, release = threading.Event(), threading.Event()
    real = business_days.enter_day

    def slow_enter(location, on):
        entered = real(location, on)
        if threading.current_thread().name != "MainThread" and not release.is_set():
            inside.set()
            release.wait(20)
        return entered

    monkeypatch.setattr("membercard.operations.posting.enter_day", slow_enter)
    results: dict = {}
    buyer = in_thread(
        lambda: purchase(
            actor=cashier, card_number=card.number, amount_minor=700, idempotency_key=f.key()
        ),
        results,
        "buy",
    )
    assert inside.wait(20)
    closer = in_thread(lambda: close_day(actor=manager, counted={"cash": 10_000}), results, "close")
    time.sleep(0.5)
    assert "close" not in results  # waiting for the purchase in flight
    released_at = time.monotonic()
    release.set()
    buyer.join(20)
    closer.join(20)

    assert not isinstance(results["buy"], Exception), results["buy"]
    day = results["close"]
    assert not isinstance(day, Exception), day
    assert results["close_done_at"] >= released_at
    assert day.seal_operation_count == 2  # the sale and the purchase that was in flight
    assert day.seal_last_operation_id == results["buy"].pk

    after = purchase(
        actor=cashier, card_number=card.number, amount_minor=100, idempotency_key=f.key()
    )
    assert after.business_date == day.business_date + dt.timedelta(days=1)
    assert Operation.objects.filter(business_date=day.business_date).count() == 2
    states = dict(BusinessDay.objects.values_list("business_date", "state"))
    assert states == {day.business_date: DayState.CLOSED, after.business_date: DayState.OPEN}
    assert verify_seals().problems == []


def test_tills_of_one_store_do_not_block_each_other(monkeypatch):
    cashier = f.actor(Role.STORE_CASHIER)
    card1 = f.sold_card(cashier, f.product(), value_minor=10_000)
    card2 = f.sold_card(cashier, f.product(), value_minor=10_000)
    # Open the house accounts a purchase needs (a first purchase creates them).
    purchase(actor=cashier, card_number=card2.number, amount_minor=100, idempotency_key=f.key())
    inside, release = threading.Event(), threading.Event()
    real = business_days.enter_day

    def slow_enter(location, on):
        entered = real(location, on)
        if threading.current_thread().name != "MainThread" and not inside.is_set():
            inside.set()
            release.wait(20)
        return entered

    monkeypatch.setattr("membercard.operations.posting.enter_day", slow_enter)
    results: dict = {}
    first = in_thread(
        lambda: purchase(
            actor=cashier, card_number=card1.number, amount_minor=100, idempotency_key=f.key()
        ),
        results,
        "first",
    )
    assert inside.wait(20)
    # The first till holds the day FOR SHARE; the second posts meanwhile and commits.
    second = purchase(
        actor=cashier, card_number=card2.number, amount_minor=100, idempotency_key=f.key()
    )
    assert "first" not in results
    release.set()
    first.join(20)
    assert not isinstance(results["first"], Exception), results["first"]
    assert Operation.objects.filter(pk__in=[second.pk, results["first"].pk]).count() == 2
