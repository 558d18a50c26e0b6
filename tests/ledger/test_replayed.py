"""The service says whether a call replayed: the operation it returns carries ``replayed``
(set by ``ledger.idempotency``), also for the loser of a race for one key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from membercard.core.models import Role
from membercard.ledger.models import Operation
from membercard.operations import purchase, refund, reverse, top_up
from tests import factories as f


def _pay(actor, card, key, amount=1_000):
    return purchase(actor=actor, card_number=card.number, amount_minor=amount, idempotency_key=key)


@pytest.mark.django_db
def test_the_first_call_made_it_and_the_second_replayed(cashier, finance):
    card = f.sold_card(cashier, f.product(), 10_000)
    calls = {
        "purchase": lambda: _pay(cashier, card, "p"),
        "top_up": lambda: top_up(
            actor=finance,
            card_number=card.number,
            amount_minor=500,
            tender="cash",
            idempotency_key="t",
        ),
    }
    for name, call in calls.items():
        first, again = call(), call()
        assert (first.replayed, again.replayed) == (False, True), name
        assert first.pk == again.pk
    bought = Operation.objects.get(kind="purchase")
    back = refund(actor=cashier, operation_id=bought.pk, amount_minor=100, idempotency_key="r")
    assert back.replayed is False
    undone = reverse(actor=cashier, operation_id=back.pk, idempotency_key="v")
    again = reverse(actor=cashier, operation_id=back.pk, idempotency_key="v")
    assert (undone.replayed, again.replayed) == (False, True)


@pytest.mark.django_db
def test_an_operation_read_from_the_database_is_not_a_replay(cashier):
    card = f.sold_card(cashier, f.product(), 10_000)
    made = _pay(cashier, card, "p")
    assert Operation.objects.get(pk=made.pk).replayed is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_one_made_the_rest_replayed():
    """Ten threads, one key: the losers wait on the key's unique index, are retried by
    ``business_operation`` and replay; the flag belongs to the attempt that committed."""
    f.hq()
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))
    card = f.sold_card(cashier, f.product(), 10_000)
    barrier = threading.Barrier(10, timeout=60)

    def buy(_: int) -> tuple[int, bool]:
        try:
            barrier.wait()
            operation = _pay(cashier, card, "one-key", amount=1_234)
            return operation.pk, operation.replayed
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(buy, range(10)))

    assert len({pk for pk, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * 9
    assert Operation.objects.filter(card=card, kind="purchase").count() == 1
