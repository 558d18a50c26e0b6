"""Property: whatever happens over whatever days, the sales-and-inventory report for any
period ties out, and consecutive periods chain (closing of one = opening of the next)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membercard.core.errors import DomainError
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import purchase, refund, reverse, sell_card, top_up
from membercard.reports.sales_inventory import sales_inventory
from tests import factories as f

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.one_of(
        st.tuples(st.just("day"), st.integers(1, 3)),
        st.tuples(st.just("stock"), st.integers(1, 3)),
        st.tuples(st.just("sell"), st.integers(100, 50_000)),
        st.tuples(st.just("top_up"), st.integers(100, 60_000)),
        st.tuples(st.just("spend"), st.integers(1, 30_000)),
        st.tuples(st.just("refund"), st.integers(1, 5_000)),
        st.tuples(st.just("reverse"), st.integers(0, 10)),
    ),
    min_size=3,
    max_size=25,
)


def _do(shop, kind: str, n: int, cards: list[str]) -> None:
    cashier, manager = shop["cashier"], shop["manager"]
    try:
        if kind == "stock":
            for _ in range(n):
                f.stock_card(shop["product"], shop["store"])
        elif kind == "sell":
            card = f.stock_card(shop["product"], shop["store"])
            sell_card(
                actor=cashier,
                card_number=card.number,
                initial_value_minor=n,
                tender="cash",
                idempotency_key=f.key(),
            )
            cards.append(card.number)
        elif kind == "top_up" and cards:
            top_up(
                actor=cashier,
                card_number=cards[n % len(cards)],
                amount_minor=n,
                tender="cash",
                idempotency_key=f.key(),
            )
        elif kind == "spend" and cards:
            purchase(
                actor=cashier,
                card_number=cards[n % len(cards)],
                amount_minor=n,
                idempotency_key=f.key(),
            )
        elif kind == "refund":
            last = Operation.objects.filter(kind=OperationKind.PURCHASE).order_by("-pk").first()
            if last is not None:
                refund(actor=cashier, operation_id=last.pk, amount_minor=n, idempotency_key=f.key())
        elif kind == "reverse":
            ops = list(Operation.objects.exclude(kind=OperationKind.REVERSAL).order_by("-pk")[:11])
            if ops:
                reverse(actor=manager, operation_id=ops[n % len(ops)].pk, idempotency_key=f.key())
    except DomainError:
        pass  # refused (not enough balance, not reversible…): nothing happened, still ties


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps, cut=st.integers(0, 10))
def test_any_history_ties_out(clock, shop, history, cut):
    clock.next_day(5)  # each example starts on fresh days after the previous one's
    first = clock.day
    cards: list[str] = []
    for kind, n in history:
        if kind == "day":
            clock.next_day(n)
        else:
            _do(shop, kind, n, cards)
    clock.next_day()
    last = clock.day - dt.timedelta(days=1)
    middle = min(first + dt.timedelta(days=cut), last)

    whole = sales_inventory(first, clock.day)
    early = sales_inventory(first, middle)
    late = sales_inventory(middle + dt.timedelta(days=1), clock.day)

    for report in (whole, early, late):
        assert report.ties_out, (report.checks, report.totals)
    assert late.totals.liability_opening == early.totals.liability_closing
    assert late.totals.stock_opening == early.totals.stock_closing
    assert whole.totals.liability_closing == late.totals.liability_closing
