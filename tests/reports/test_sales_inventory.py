"""The sales-and-inventory report over several business days: figures, tie-out, rollups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membercard.ledger.models import OperationKind
from membercard.operations import purchase, refund, reverse, sell_card, top_up
from membercard.reports import rollups
from membercard.reports.models import DayFigure, RolledDay
from membercard.reports.sales_inventory import sales_inventory
from membercard.reports.verify import verify_rollups
from tests import factories as f

pytestmark = pytest.mark.django_db


def _sell(shop, value: int) -> str:
    card = f.stock_card(shop["product"], shop["store"])
    sell_card(
        actor=shop["cashier"],
        card_number=card.number,
        initial_value_minor=value,
        tender="cash",
        idempotency_key=f.key(),
    )
    return card.number


def _spend(shop, number: str, amount: int):
    return purchase(
        actor=shop["cashier"], card_number=number, amount_minor=amount, idempotency_key=f.key()
    )


def three_days(clock, shop):
    """Day 1: two cards sold, one purchase. Day 2: a top-up with bonus, a refund, a purchase
    reversed. Day 3 (today): a purchase and a spare card in stock."""
    first = clock.day
    a = _sell(shop, 20_000)
    b = _sell(shop, 10_000)
    spent = _spend(shop, a, 3_000)
    clock.next_day()
    top_up(
        actor=shop["cashier"],
        card_number=b,
        amount_minor=50_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    refund(  # a purchase of the day before: the manager's (the counter refund rule)
        actor=shop["manager"], operation_id=spent.pk, amount_minor=1_000, idempotency_key=f.key()
    )
    undone = _spend(shop, b, 4_000)
    reverse(actor=shop["manager"], operation_id=undone.pk, idempotency_key=f.key())
    clock.next_day()
    _spend(shop, a, 2_500)
    f.stock_card(shop["product"], shop["store"])
    return first, a, b


def test_a_period_ties_out_and_shows_each_flow(clock, shop):
    first, _a, _b = three_days(clock, shop)

    report = sales_inventory(first, clock.day)

    assert report.ties_out, report.checks
    row = report.totals
    assert row.face_value_sold == 30_000
    assert row.top_ups == 50_000
    assert row.bonus_granted == 5_000
    assert row.refunds == 1_000
    assert row.consumption_principal == 3_000 + 2_500  # the reversed purchase nets to 0
    assert row.sold == 2
    assert row.produced_received == 3  # the cards registered at the store
    assert row.stock_closing == 1
    assert row.liability_closing == 30_000 + 50_000 + 5_000 + 1_000 - 5_500
    # Two complete days were rolled up; today is live, never stored.
    assert RolledDay.objects.filter(business_date__gte=first).count() == 2
    assert not RolledDay.objects.filter(business_date=clock.day).exists()


def test_opening_of_a_day_is_the_closing_of_the_day_before(clock, shop):
    first, _a, _b = three_days(clock, shop)
    day2 = first + dt.timedelta(days=1)

    before = sales_inventory(first, first).totals
    middle = sales_inventory(day2, day2)

    assert middle.ties_out
    assert middle.totals.liability_opening == before.liability_closing == 27_000
    assert middle.totals.stock_opening == before.stock_closing == 0
    assert middle.totals.top_ups == 50_000
    assert middle.totals.consumption_principal == 0  # 4,000 spent and reversed
    # The past period's closing liability is checked against today's balances, taken back.
    assert all(check.ok for check in middle.checks)


def test_a_location_filter_shows_only_that_location(clock, shop):
    first, _a, _b = three_days(clock, shop)
    other = f.store("S02")

    mine = sales_inventory(first, clock.day, shop["store"])
    theirs = sales_inventory(first, clock.day, other)

    assert {r.location for r in mine.rows} == {"S01"}
    assert mine.totals.face_value_sold == 30_000
    assert theirs.rows == [] and theirs.totals.face_value_sold == 0


def test_rollups_are_idempotent_and_verified(clock, shop):
    _first, _a, _b = three_days(clock, shop)
    assert rollups.ensure_rollups() == 2
    stored = DayFigure.objects.count()

    assert rollups.ensure_rollups() == 0
    assert DayFigure.objects.count() == stored
    assert verify_rollups().problems == []

    # A rollup that disagrees with the ledger is flagged (raw SQL: the ORM is not the point).
    figure = DayFigure.objects.filter(measure="liab.face_value_sold").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_dayfigure SET value = value + 1 WHERE id = %s", [figure.pk])
    problems = verify_rollups().problems
    assert len(problems) >= 1 and "liab.face_value_sold" in problems[0]


def test_a_single_day_report_costs_the_same_whatever_the_history(clock, shop):
    """The report reads rollups: adding weeks of history adds no query to a one-day report."""
    number = _sell(shop, 90_000)
    for _ in range(3):
        clock.next_day()
        _spend(shop, number, 100)
    clock.next_day()
    day = clock.day - dt.timedelta(days=1)
    sales_inventory(day, day)  # builds the rollups once
    with CaptureQueriesContext(connection) as small:
        short = sales_inventory(day, day)

    for _ in range(20):
        clock.next_day()
        _spend(shop, number, 100)
        f.stock_card(shop["product"], shop["store"])
    clock.next_day()
    sales_inventory(day, day)
    with CaptureQueriesContext(connection) as large:
        long = sales_inventory(day, day)

    assert len(large) == len(small)
    assert long.ties_out and short.ties_out
    assert long.totals.consumption_principal == 100


def test_reversed_sale_puts_the_card_back_and_the_value_away(clock, shop):
    card = f.stock_card(shop["product"], shop["store"])
    sale = sell_card(
        actor=shop["cashier"],
        card_number=card.number,
        initial_value_minor=7_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    assert sale.kind == OperationKind.CARD_SALE
    reverse(actor=shop["manager"], operation_id=sale.pk, idempotency_key=f.key())
    clock.next_day()

    report = sales_inventory(clock.day - dt.timedelta(days=1), clock.day)

    assert report.ties_out
    assert report.totals.sold == 0
    assert report.totals.face_value_sold == 0
    assert report.totals.stock_closing == 1
