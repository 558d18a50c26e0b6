"""HQ finance's reconciliation board: a scripted day across two stores, checked against
figures computed by hand."""

from __future__ import annotations

import dataclasses

import pytest

from membercard.core.calendar import today
from membercard.core.errors import IdempotencyConflict, NotPermitted
from membercard.core.models import Role
from membercard.days.closing import close_day, record_deposit
from membercard.days.reconciliation import day_operations, reconciliation_rows
from membercard.operations import refund, reverse
from tests import factories as f
from tests.ledger.helpers import add, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted_day(finance):
    """Card fee 5.00; top up (or buy) at least 100.00 and get 10.00 bonus.

    S01: sells c1 for 200.00 cash (+5.00 fee, +10.00 bonus), c2 for 50.00 by bank card
    (+5.00 fee); tops c2 up by 100.00 by mobile pay (+10.00 bonus); c1 pays 30.00, c2 pays
    155.00 (150.00 principal, 5.00 bonus); 10.00 of c1's purchase is refunded; a card sold
    for 10.00 cash (+5.00 fee) is reversed.
    S02: sells c3 for 80.00 cash (+5.00 fee); c1 (from S01) pays 20.00 there.
    HQ: tops c1 up by 50.00 (an HQ operation: on no store's row).
    """
    product = f.product(card_fee_minor=500, stores_may_top_up=True, bonus_rules=[[10_000, 1_000]])
    s1, s2 = f.store("S01"), f.store("S02")
    cashier1, manager1 = f.actor(Role.STORE_CASHIER, s1), f.actor(Role.STORE_MANAGER, s1)
    cashier2, manager2 = f.actor(Role.STORE_CASHIER, s2), f.actor(Role.STORE_MANAGER, s2)

    c1 = f.sold_card(cashier1, product, value_minor=20_000, tender="cash")
    c2 = f.sold_card(cashier1, product, value_minor=5_000, tender="bank_card")
    add(cashier1, c2, 10_000, tender="mobile_pay")
    p1 = pay(cashier1, c1, 3_000)
    pay(cashier1, c2, 15_500)
    refund(actor=manager1, operation_id=p1.pk, amount_minor=1_000, idempotency_key=f.key())
    c4 = f.sold_card(cashier1, product, value_minor=1_000, tender="cash")
    sale = c4.operations.get(kind="card_sale")
    reverse(actor=manager1, operation_id=sale.pk, idempotency_key=f.key())

    f.sold_card(cashier2, product, value_minor=8_000, tender="cash")
    pay(cashier2, c1, 2_000)
    add(finance, c1, 5_000)
    return {"manager1": manager1, "manager2": manager2, "s1": s1, "s2": s2}


def figures(row) -> dict:
    data = dataclasses.asdict(row)
    data.pop("location_id")
    return data


def test_figures_equal_hand_computed_values(scripted_day):
    rows = reconciliation_rows(today(), today())

    assert [figures(r) for r in rows] == [
        {
            "location_code": "S01",
            "business_date": today(),
            "status": "open",
            # cash 200.00 (+10.00 -10.00 reversed), bank card 50.00
            "collected_card_sales": 25_000,
            "collected_top_ups": 10_000,
            # cash 5.00 (+5.00 -5.00 reversed), bank card 5.00
            "collected_fees": 1_000,
            "collected_total": 36_000,
            # 30.00 + 150.00 - 10.00 refunded
            "redeemed_principal": 17_000,
            "redeemed_bonus": 500,
            "net_settlement": 19_000,
            "declared_total": 0,
            "variance": 0,
            "deposit_received": 0,
            "deposit_difference": -19_000,
            "operation_count": 8,
        },
        {
            "location_code": "S02",
            "business_date": today(),
            "status": "open",
            "collected_card_sales": 8_000,
            "collected_top_ups": 0,
            "collected_fees": 500,
            "collected_total": 8_500,
            "redeemed_principal": 2_000,
            "redeemed_bonus": 0,
            "net_settlement": 6_500,
            "declared_total": 0,
            "variance": 0,
            "deposit_received": 0,
            "deposit_difference": -6_500,
            "operation_count": 2,
        },
    ]


def test_statuses_after_closing_and_deposits(scripted_day, finance):
    d = scripted_day
    close_day(
        actor=d["manager1"], counted={"cash": 20_500, "bank_card": 5_500, "mobile_pay": 10_000}
    )
    close_day(actor=d["manager2"], counted={"cash": 8_400}, comment="Short by 1.00")

    s1, s2 = reconciliation_rows(today(), today())
    assert (s1.status, s1.declared_total, s1.variance) == ("closed", 36_000, 0)
    assert (s2.status, s2.declared_total, s2.variance) == ("difference", 8_400, -100)

    key = f.key()
    record_deposit(
        actor=finance,
        location_code="S01",
        business_date=today(),
        amount_minor=19_000,
        idempotency_key=key,
    )
    # A double submit records nothing more.
    record_deposit(
        actor=finance,
        location_code="S01",
        business_date=today(),
        amount_minor=19_000,
        idempotency_key=key,
    )
    (s1,) = reconciliation_rows(today(), today(), location_code="S01")
    assert (s1.status, s1.deposit_received, s1.deposit_difference) == ("matched", 19_000, 0)

    record_deposit(
        actor=finance,
        location_code="S01",
        business_date=today(),
        amount_minor=100,
        idempotency_key=f.key(),
    )
    (s1,) = reconciliation_rows(today(), today(), location_code="S01")
    assert (s1.status, s1.deposit_difference) == ("difference", 100)


def test_deposit_receipts_are_hq_finance_work(scripted_day, finance):
    with pytest.raises(NotPermitted):
        record_deposit(
            actor=scripted_day["manager1"],
            location_code="S01",
            business_date=today(),
            amount_minor=100,
            idempotency_key=f.key(),
        )
    key = f.key()
    record_deposit(
        actor=finance,
        location_code="S01",
        business_date=today(),
        amount_minor=100,
        idempotency_key=key,
    )
    with pytest.raises(IdempotencyConflict):
        record_deposit(
            actor=finance,
            location_code="S01",
            business_date=today(),
            amount_minor=200,
            idempotency_key=key,
        )
    (s1,) = reconciliation_rows(today(), today(), location_code="S01")
    assert s1.deposit_received == 100


def test_one_store_day_reads_only_its_rows(scripted_day, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        rows = reconciliation_rows(today(), today(), location_code="S02")
    assert [r.location_code for r in rows] == ["S02"]
    assert reconciliation_rows(today(), today(), location_code="NOPE") == []


def test_drill_down_lists_the_store_days_operations(scripted_day):
    ops = day_operations(scripted_day["s2"], today())
    assert sorted(ops.values_list("kind", flat=True)) == ["card_sale", "purchase"]
