"""The ledger under real concurrency: many threads, each on its own PostgreSQL connection.

These tests need committed data and real row locks, so they run on PostgreSQL only
(``postgres`` mark) in transactional test cases. Threads start together on a barrier;
each closes its own database connection when it is done.

Every test also spies on ``business_operation``'s retry decision: a retry is fine
(a concurrent idempotency key, say), but a *deadlock* would mean the lock order is
broken, even though the retry would hide it from the caller.
"""

from __future__ import annotations

import os
import random
import threading
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core import transactions
from membercard.core.actors import Actor
from membercard.core.errors import (
    DomainError,
    IdempotencyConflict,
    InsufficientBalance,
)
from membercard.core.models import Location, Role, Staff
from membercard.ledger.models import (
    Account,
    IdempotencyRecord,
    Operation,
    OperationKind,
    Transfer,
    Unit,
)
from membercard.ledger.verify import verify_ledger
from membercard.operations import payments, purchase, refund, reverse, sell_card, top_up
from membercard.operations.card_life import replace_card
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
DEADLOCK = "40P01"


# Helpers ------------------------------------------------------------------------


def run_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` on ``count`` threads released together; their results in order.

    An exception in a thread is raised here (by ``Future.result``) and fails the test.
    """
    barrier = threading.Barrier(count, timeout=60)

    def body(index: int) -> T:
        try:
            barrier.wait()
            return work(index)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(body, index) for index in range(count)]
        return [future.result(timeout=120) for future in futures]


def make_actor(role: Role, location: Location) -> Actor:
    """An actor whose staff row has no usable password (argon2 hashing takes ~0.5 s)."""
    user = Staff.objects.create_user(
        username=f"conc-{uuid.uuid4().hex[:12]}", password=None, role=role, location=location
    )
    return Actor.for_staff(user)


def value_of(card: Card) -> int:
    principal, bonus, _ = f.balances(card)
    return principal + bonus


@pytest.fixture
def retries(monkeypatch) -> list[str | None]:
    """The SQLSTATE of every error ``business_operation`` considered retrying, from any thread."""
    seen: list[str | None] = []
    decide = transactions._retryable

    def spy(exc: Exception) -> bool:
        seen.append(getattr(exc.__cause__, "sqlstate", None))
        return decide(exc)

    monkeypatch.setattr(transactions, "_retryable", spy)
    return seen


@pytest.fixture
def hq() -> Location:
    return f.hq()


@pytest.fixture
def shop(hq) -> Location:
    return f.store("S01")


# One card, many buyers ------------------------------------------------------------


def test_many_buyers_never_overdraw_one_card(retries, shop):
    cashier = make_actor(Role.STORE_CASHIER, shop)
    card = f.sold_card(cashier, f.product(), 10_000)
    assert f.balances(card) == (10_000, 0, 0)

    def buy(_: int) -> int | None:
        try:
            op = purchase(
                actor=cashier, card_number=card.number, amount_minor=700, idempotency_key=f.key()
            )
        except InsufficientBalance:
            return None
        return op.pk

    results = run_threads(50, buy)

    succeeded = [pk for pk in results if pk is not None]
    assert len(succeeded) == 14  # 14 x 700 = 9_800 <= 10_000 < 15 x 700
    assert results.count(None) == 36
    assert len(set(succeeded)) == 14
    assert value_of(card) == 10_000 - 14 * 700
    purchases = Operation.objects.filter(card=card, kind=OperationKind.PURCHASE)
    assert sorted(purchases.values_list("pk", flat=True)) == sorted(succeeded)
    card.refresh_from_db()
    assert card.chain_length == 1 + 14
    assert verify_ledger().problems == []
    assert DEADLOCK not in retries


# One idempotency key, many replays ------------------------------------------------------


def test_one_key_replayed_from_many_threads_charges_once(retries, shop):
    cashier = make_actor(Role.STORE_CASHIER, shop)
    card = f.sold_card(cashier, f.product(), 10_000)
    key = f.key()

    def buy(_: int) -> int:
        return purchase(
            actor=cashier, card_number=card.number, amount_minor=1_234, idempotency_key=key
        ).pk

    ids = run_threads(10, buy)

    assert len(set(ids)) == 1
    assert value_of(card) == 10_000 - 1_234
    assert Operation.objects.filter(card=card, kind=OperationKind.PURCHASE).count() == 1
    assert IdempotencyRecord.objects.filter(key=key).count() == 1
    assert verify_ledger().problems == []
    # Concurrent claims are retried on the key's unique index, never a deadlock.
    assert set(retries) <= {"23505"}


def test_one_key_with_two_different_requests_charges_once(retries, shop):
    """Half the threads send another amount under the same key: they are refused, not charged."""
    cashier = make_actor(Role.STORE_CASHIER, shop)
    card = f.sold_card(cashier, f.product(), 10_000)
    key = f.key()
    amounts = [1_000 if index % 2 else 2_000 for index in range(10)]

    def buy(index: int) -> int | str:
        try:
            return purchase(
                actor=cashier,
                card_number=card.number,
                amount_minor=amounts[index],
                idempotency_key=key,
            ).pk
        except IdempotencyConflict as exc:
            return exc.code

    results = run_threads(10, buy)

    ids = {r for r in results if isinstance(r, int)}
    assert len(ids) == 1
    winner = Operation.objects.get(pk=ids.pop())
    for amount, result in zip(amounts, results, strict=True):
        expected = winner.pk if amount == winner.gross_minor else "idempotency_conflict"
        assert result == expected
    assert value_of(card) == 10_000 - winner.gross_minor
    assert Operation.objects.filter(card=card, kind=OperationKind.PURCHASE).count() == 1
    assert verify_ledger().problems == []
    assert set(retries) <= {"23505"}


# Lock order ------------------------------------------------------------------------------


def test_replacement_and_purchase_take_card_locks_in_one_order(retries, shop):
    """Each round: replace A by B, "replace B by A" (refused, but it locks the pair in the
    opposite argument order) and a purchase on A, all at once. Card locks are taken in id
    order, so no round may deadlock (a deadlock would show as a retried 40P01)."""
    cashier = make_actor(Role.STORE_CASHIER, shop)
    product = f.product()
    rounds = 15
    pairs: list[tuple[Card, Card]] = []
    for index in range(rounds):
        first, second = f.stock_card(product, shop), f.stock_card(product, shop)
        # Alternate which card of the pair has the lower id.
        old, new = (first, second) if index % 2 else (second, first)
        sell_card(
            actor=cashier,
            card_number=old.number,
            initial_value_minor=5_000,
            tender="cash",
            idempotency_key=f.key(),
        )
        pairs.append((old, new))

    def replace_forward(old: Card, new: Card) -> object:
        return replace_card(
            actor=cashier, old_number=old.number, new_number=new.number, idempotency_key=f.key()
        )

    def replace_backward(old: Card, new: Card) -> object:
        return replace_card(
            actor=cashier, old_number=new.number, new_number=old.number, idempotency_key=f.key()
        )

    def buy_on_old(old: Card, new: Card) -> object:
        return purchase(
            actor=cashier, card_number=old.number, amount_minor=1_000, idempotency_key=f.key()
        )

    roles = [replace_forward, replace_backward, buy_on_old]
    barrier = threading.Barrier(len(roles), timeout=60)

    def worker(role: int) -> list[str]:
        outcomes = []
        for old, new in pairs:
            barrier.wait()  # every round starts together
            try:
                roles[role](old, new)
            except DomainError as exc:
                outcomes.append(exc.code)
            else:
                outcomes.append("ok")
        return outcomes

    replaced, backwards, bought = run_threads(len(roles), worker)

    assert replaced == ["ok"] * rounds
    assert set(backwards) <= {"invalid_transition", "card_not_in_stock"}
    assert set(bought) <= {"ok", "card_not_active"}
    for (old, new), purchase_outcome in zip(pairs, bought, strict=True):
        old.refresh_from_db()
        new.refresh_from_db()
        assert (old.state, old.replaced_by_id, new.state) == (
            CardState.REPLACED,
            new.pk,
            CardState.ACTIVE,
        )
        assert value_of(old) == 0
        assert value_of(new) == 5_000 - (1_000 if purchase_outcome == "ok" else 0)
    assert verify_ledger().problems == []
    assert DEADLOCK not in retries


# A refund racing a replacement ---------------------------------------------------------


def test_refund_that_waited_for_a_replacement_goes_to_the_new_card(shop, monkeypatch):
    """A refund starts while the card is being replaced. The refund is held right before it
    locks the card (the hook stands in for the lock wait: the replacement holds that lock
    until it commits); the value must still come back, on the replacement card."""
    cashier = make_actor(Role.STORE_CASHIER, shop)
    product = f.product()
    old = f.sold_card(cashier, product, 10_000)
    new = f.stock_card(product, shop)
    bought = purchase(
        actor=cashier, card_number=old.number, amount_minor=2_000, idempotency_key=f.key()
    )
    about_to_lock, replaced = threading.Event(), threading.Event()
    lock_cards = payments.lock_cards

    def lock_after_the_replacement(*numbers: str) -> list[Card]:
        about_to_lock.set()
        assert replaced.wait(timeout=30)
        return lock_cards(*numbers)

    monkeypatch.setattr(payments, "lock_cards", lock_after_the_replacement)

    def work(index: int) -> str:
        if index == 1:
            assert about_to_lock.wait(timeout=30)
            try:
                replace_card(
                    actor=cashier,
                    old_number=old.number,
                    new_number=new.number,
                    idempotency_key=f.key(),
                )
            finally:
                replaced.set()
            return "ok"
        try:
            refund(
                actor=cashier, operation_id=bought.pk, amount_minor=2_000, idempotency_key=f.key()
            )
        except DomainError as exc:
            return exc.code
        return "ok"

    refunded, replacement = run_threads(2, work)

    assert replacement == "ok"
    assert verify_ledger().problems == []
    assert refunded == "ok"
    assert value_of(new) == 10_000


# The bank: thousands of random operations over many cards --------------------------------

SEED = 20_251_104
THREADS = 8
# 2,000 calls take ~40 s on a 2-core machine (GIL-bound); CI with more cores may raise it.
OPS_PER_THREAD = int(os.environ.get("MEMBERCARD_BANK_OPS_PER_THREAD", "250"))
CARDS = 100
INITIAL = 10_000
DISCOUNT_BP = 500
POINTS_PER_UNIT = 1
BONUS_RULES = [[3_000, 300]]
# What the services may legitimately refuse in this test; anything else is a bug.
EXPECTED_REFUSALS = {
    "insufficient_balance",
    "insufficient_points",
    "refund_exceeds_purchase",
    "not_reversible",
}


def bonus_for(amount: int) -> int:
    return max((bonus for threshold, bonus in BONUS_RULES if amount >= threshold), default=0)


@dataclass(frozen=True)
class Done:
    """One successful call: the operation it returned and, by our own model, how much the
    card's value (principal + bonus) changed."""

    op: Operation
    card_id: int
    value: int


def test_bank_of_random_operations_stays_balanced(retries, hq):
    stores = [f.store("S01"), f.store("S02")]
    finance = make_actor(Role.HQ_FINANCE, hq)
    managers = {s.pk: make_actor(Role.STORE_MANAGER, s) for s in stores}
    cashiers = [make_actor(Role.STORE_CASHIER, stores[i % len(stores)]) for i in range(THREADS)]
    product = f.product(
        has_discount=True,
        discount_rate_bp=DISCOUNT_BP,
        has_points=True,
        points_per_unit=POINTS_PER_UNIT,
        bonus_rules=BONUS_RULES,
    )
    cards = [f.sold_card(cashiers[i % THREADS], product, INITIAL) for i in range(CARDS)]
    start_value = INITIAL + bonus_for(INITIAL)
    assert all(value_of(card) == start_value for card in cards)
    start_balance = dict(Account.objects.filter(card__in=cards).values_list("pk", "balance"))
    digits = settings.MEMBERCARD_CURRENCY_DIGITS

    # Shared, append-only pools of successful operations other threads may refund or reverse.
    purchases_at: dict[int, list[Done]] = {s.pk: [] for s in stores}
    reversible_at: dict[int, list[Done]] = {s.pk: [] for s in [hq, *stores]}
    unexpected: list[str] = []

    def bank(index: int) -> tuple[list[Done], Counter[str]]:
        rng = random.Random(SEED + index)
        cashier = cashiers[index]
        store = cashier.location
        done: list[Done] = []  # this thread's successful calls
        refused: Counter[str] = Counter()

        def do_top_up() -> Done:
            card = rng.choice(cards)
            amount = rng.randint(100, 5_000)
            op = top_up(
                actor=finance,
                card_number=card.number,
                amount_minor=amount,
                tender=rng.choice(["cash", "bank_card", "mobile_pay"]),
                idempotency_key=f.key(),
            )
            return Done(op, card.pk, amount + bonus_for(amount))

        def do_purchase() -> Done:
            card = rng.choice(cards)
            amount = rng.randint(100, 4_000)
            op = purchase(
                actor=cashier, card_number=card.number, amount_minor=amount, idempotency_key=f.key()
            )
            net = amount - amount * DISCOUNT_BP // 10_000
            assert (op.gross_minor, op.net_minor, op.paid_other_minor) == (amount, net, 0)
            assert op.details["points_earned"] == net * POINTS_PER_UNIT // 10**digits
            return Done(op, card.pk, -net)

        def do_refund() -> Done:
            original = rng.choice(purchases_at[store.pk])
            net = original.op.net_minor
            amount = net if rng.random() < 0.4 else rng.randint(1, net)
            op = refund(
                actor=cashier,
                operation_id=original.op.pk,
                amount_minor=amount,
                idempotency_key=f.key(),
            )
            assert op.card_id == original.card_id
            return Done(op, original.card_id, amount)

        def do_reversal() -> Done:
            pool = reversible_at[rng.choice([hq.pk, store.pk])]
            if not pool:
                return do_purchase()
            original = rng.choice(pool)
            if original.op.staff_id == cashier.staff.pk:
                actor = cashier  # whoever made it
            elif original.op.location_id == hq.pk:
                actor = finance
            else:
                actor = managers[original.op.location_id]
            op = reverse(actor=actor, operation_id=original.op.pk, idempotency_key=f.key())
            assert op.reverses_id == original.op.pk
            return Done(op, original.card_id, -original.value)

        for _ in range(OPS_PER_THREAD):
            roll = rng.random()
            if roll < 0.15:
                action = do_top_up
            elif roll < 0.60 or not purchases_at[store.pk]:
                action = do_purchase
            elif roll < 0.80:
                action = do_refund
            else:
                action = do_reversal
            try:
                record = action()
            except DomainError as exc:
                refused[exc.code] += 1
                continue
            except Exception:
                unexpected.append(traceback.format_exc())
                break
            done.append(record)
            kind = record.op.kind
            if kind == OperationKind.PURCHASE:
                purchases_at[store.pk].append(record)
            if kind != OperationKind.REVERSAL:
                reversible_at[record.op.location_id].append(record)
        return done, refused

    results = run_threads(THREADS, bank)

    assert unexpected == [], "\n".join(unexpected)
    everything = [record for done, _ in results for record in done]
    refused = sum((counts for _, counts in results), Counter())
    assert len(everything) + sum(refused.values()) == THREADS * OPS_PER_THREAD
    assert set(refused) <= EXPECTED_REFUSALS, refused
    kinds = Counter(record.op.kind for record in everything)
    for kind in ("top_up", "purchase", "refund", "reversal"):
        assert kinds[kind] > 0, kinds
    op_ids = [record.op.pk for record in everything]
    assert len(set(op_ids)) == len(op_ids)

    # No operation exists that no call returned (nothing committed behind a raised error).
    per_card = dict(
        Operation.objects.filter(card__in=cards)
        .values("card")
        .annotate(n=Count("pk"))
        .values_list("card", "n")
    )
    calls = Counter(record.card_id for record in everything)
    for card in cards:
        assert per_card[card.pk] == 1 + calls[card.pk], card.number  # 1: its sale
    assert Operation.objects.count() == CARDS + len(everything)

    # Every card's value is what our own record of successful calls implies.
    expected_value: dict[int, int] = defaultdict(lambda: start_value)
    for record in everything:
        expected_value[record.card_id] += record.value
    for card in cards:
        principal, bonus, points = f.balances(card)
        assert principal + bonus == expected_value[card.pk], card.number
        assert min(principal, bonus, points) >= 0

    # Every card account's balance is where the returned operations' transfers take it.
    moved: dict[int, int] = defaultdict(int)
    for debit, credit, amount in Transfer.objects.filter(operation_id__in=op_ids).values_list(
        "debit_account_id", "credit_account_id", "amount"
    ):
        moved[debit] -= amount
        moved[credit] += amount
    for account in Account.objects.filter(card__in=cards):
        assert account.balance == start_balance[account.pk] + moved[account.pk], account.code

    # No purchase was refunded beyond its net amount by concurrent refunds.
    live_refunds = (
        Operation.objects.filter(kind=OperationKind.REFUND, reversed_by__isnull=True)
        .values("refund_of")
        .annotate(total=Sum("gross_minor"))
        .values_list("refund_of", "total")
    )
    nets = dict(
        Operation.objects.filter(kind=OperationKind.PURCHASE).values_list("pk", "net_minor")
    )
    for purchase_id, total in live_refunds:
        assert total <= nets[purchase_id], purchase_id

    # Each unit sums to zero over all accounts (credits - debits, by the account's unit).
    for unit in Unit:
        credits = Transfer.objects.filter(credit_account__unit=unit).aggregate(s=Sum("amount"))
        debits = Transfer.objects.filter(debit_account__unit=unit).aggregate(s=Sum("amount"))
        assert (credits["s"] or 0) == (debits["s"] or 0), unit

    assert verify_ledger().problems == []
    assert DEADLOCK not in retries
