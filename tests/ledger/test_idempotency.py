"""Idempotency keys: a replay returns the first result, a different request under the same key
is refused, keys are per staff member or terminal, and a failed request leaves no key."""

from __future__ import annotations

import pytest

from membercard.core.actors import Actor
from membercard.core.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    ValidationFailed,
)
from membercard.core.models import Role, Terminal
from membercard.ledger.idempotency import MAX_KEY_LENGTH
from membercard.ledger.models import IdempotencyRecord
from membercard.ledger.verify import verify_ledger
from membercard.operations import adjust, purchase, refund, reverse, sell_card, top_up
from membercard.operations.card_life import freeze_card
from tests import factories as f
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


def pay(actor, card, amount, key, **kwargs):
    return purchase(
        actor=actor, card_number=card.number, amount_minor=amount, idempotency_key=key, **kwargs
    )


def add(actor, card, amount, key, tender="cash"):
    return top_up(
        actor=actor, card_number=card.number, amount_minor=amount, tender=tender,
        idempotency_key=key,
    )  # fmt: skip


@pytest.fixture
def card(cashier):
    return f.sold_card(cashier, f.product(has_points=True, points_per_unit=1), 10_000)


# Replays -----------------------------------------------------------------------------------


def test_a_replayed_purchase_returns_the_first_operation_and_charges_nothing(cashier, card):
    # Given a purchase made with a key
    first = pay(cashier, card, 1_500, "till-7/0001")
    assert f.balances(card) == (8_500, 0, 15)
    # When the terminal retries with the same key and request
    with unchanged(card):
        again = pay(cashier, card, 1_500, "till-7/0001")
    # Then it gets the same operation back and nothing else happened
    assert again.pk == first.pk
    assert verify_ledger().problems == []


def test_a_replay_answers_even_after_the_card_changed(cashier, card):
    # Given a purchase, then the card was frozen
    first = pay(cashier, card, 1_500, "k-1")
    freeze_card(actor=cashier, card_number=card.number)
    # When the purchase is retried, it is answered from the record, not refused or redone
    with unchanged(card):
        assert pay(cashier, card, 1_500, "k-1").pk == first.pk


def test_a_replayed_sale_top_up_refund_reversal_and_adjustment(cashier, finance):
    # Given each kind of keyed operation done once
    stock = f.stock_card(f.product(), cashier.location)

    def sale():
        return sell_card(
            actor=cashier, card_number=stock.number, initial_value_minor=5_000, tender="cash",
            idempotency_key="sale-1",
        )  # fmt: skip

    first_sale = sale()
    first_top_up = add(finance, stock, 2_000, "top-1")
    bought = pay(cashier, stock, 3_000, "buy-1")

    def give_back():
        return refund(actor=cashier, operation_id=bought.pk, amount_minor=1_000,
                      idempotency_key="refund-1")  # fmt: skip

    def undo():
        return reverse(actor=finance, operation_id=first_top_up.pk, idempotency_key="undo-1")

    def fix():
        return adjust(actor=finance, card_number=stock.number, bucket="bonus", delta=10,
                      reason="goodwill", idempotency_key="fix-1")  # fmt: skip

    firsts = [give_back(), undo(), fix()]
    # When every one is replayed
    with unchanged(stock):
        replays = [sale(), add(finance, stock, 2_000, "top-1"), give_back(), undo(), fix()]
    # Then each answers with its first operation
    assert [op.pk for op in replays] == [op.pk for op in [first_sale, first_top_up, *firsts]]


# Conflicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"amount": 1_501}, {"allow_split": True}, {"reference": "other"}, {"other_card": True}],
)
def test_the_same_key_for_a_different_request_is_refused(cashier, card, changes):
    # Given a purchase made with a key
    pay(cashier, card, 1_500, "k-1", reference="r1")
    target = f.sold_card(cashier, card.product, 1_000) if changes.get("other_card") else card
    extra = {k: v for k, v in changes.items() if k in ("allow_split", "reference")}
    extra.setdefault("reference", "r1")
    # When another request comes with the same key, it is refused and nothing happens
    with unchanged(card, target), pytest.raises(IdempotencyConflict) as info:
        pay(cashier, target, changes.get("amount", 1_500), "k-1", **extra)
    assert info.value.code == "idempotency_conflict"
    assert info.value.status == 409


def test_the_same_key_for_another_service_is_refused(cashier, finance, card):
    add(finance, card, 1_000, "k-1")
    with unchanged(card), pytest.raises(IdempotencyConflict):
        adjust(actor=finance, card_number=card.number, bucket="principal", delta=1_000,
               reason="x", idempotency_key="k-1")  # fmt: skip


# Scopes ------------------------------------------------------------------------------------


def test_keys_are_per_staff_member(cashier, card):
    # Given two cashiers whose tills happen to use the same key
    colleague = f.actor(Role.STORE_CASHIER)
    first = pay(cashier, card, 1_000, "0001")
    # When the second uses it for their own purchase
    second = pay(colleague, card, 1_000, "0001")
    # Then both purchases happened
    assert second.pk != first.pk
    assert f.balances(card) == (8_000, 0, 20)


def test_keys_are_per_terminal(cashier, card):
    tills = [
        Actor.for_terminal(
            Terminal.objects.create(
                location=cashier.location, name=name, key_prefix=name, key_hash="x"
            )
        )
        for name in ("till-1", "till-2")
    ]
    ops = [pay(till, card, 1_000, "0001") for till in tills]
    assert ops[0].pk != ops[1].pk
    assert ops[0].terminal == tills[0].terminal
    assert f.balances(card) == (8_000, 0, 20)
    # And a replay on one terminal answers with its own operation
    with unchanged(card):
        assert pay(tills[1], card, 1_000, "0001").pk == ops[1].pk


# Key format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", "   ", None, 42, "k" * (MAX_KEY_LENGTH + 1), "ключ", "clé-1", "a\nb", "tab\there"],
    ids=["empty", "blank", "none", "int", "too-long", "cyrillic", "accent", "newline", "tab"],
)
def test_a_malformed_key_is_refused(cashier, card, key):
    with unchanged(card), pytest.raises(ValidationFailed) as info:
        pay(cashier, card, 1_000, key)
    assert info.value.code == "validation_error"
    assert info.value.extra == {"field": "idempotency_key"}


def test_the_longest_printable_ascii_key_is_fine(cashier, card):
    key = ("~ !#" * 64)[:MAX_KEY_LENGTH]
    first = pay(cashier, card, 1_000, key)
    assert pay(cashier, card, 1_000, key).pk == first.pk


# Failures leave no key ---------------------------------------------------------------------


def test_a_refused_request_leaves_no_key_so_a_retry_can_succeed(cashier, finance, card):
    # Given a purchase refused for a too low balance
    with unchanged(card), pytest.raises(InsufficientBalance):
        pay(cashier, card, 12_000, "k-1")
    assert not IdempotencyRecord.objects.filter(key="k-1").exists()
    # When the card is topped up and the same request is retried with the same key
    add(finance, card, 5_000, "top-1")
    op = pay(cashier, card, 12_000, "k-1")
    # Then it goes through, once
    assert f.balances(card) == (3_000, 0, 120)
    record = IdempotencyRecord.objects.get(key="k-1")
    assert record.operation == op
    assert record.scope == f"staff:{cashier.staff.pk}"
    assert verify_ledger().problems == []


def test_a_refused_request_frees_the_key_for_a_different_request(cashier, card):
    with pytest.raises(InsufficientBalance):
        pay(cashier, card, 12_000, "k-1")
    op = pay(cashier, card, 1_000, "k-1")
    assert op.gross_minor == 1_000
