"""Helpers shared by the ledger and card service tests: house balances, what a refused request
must leave alone, and short calls to the money services with a fresh idempotency key.

Card balances are ``tests.factories.balances``; the actor fixtures live in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.db.models import Sum

from membercard.cards.models import Card
from membercard.ledger.models import (
    Account,
    ChainLink,
    IdempotencyRecord,
    Operation,
    Transfer,
)
from membercard.operations import purchase, top_up
from tests import factories as f

# Every row the ledger writes, and every card field a money or card service may change.
LEDGER_ROWS = (Operation, Transfer, ChainLink, IdempotencyRecord)
CARD_FIELDS = ("state", "location_id", "member_id", "replaced_by_id", "chain_length")


def house(code: str) -> int:
    """A house account's balance (credits - debits), 0 if it was never opened."""
    account = Account.objects.filter(code=code).first()
    if account is None:
        return 0
    credits = Transfer.objects.filter(credit_account=account).aggregate(t=Sum("amount"))["t"]
    debits = Transfer.objects.filter(debit_account=account).aggregate(t=Sum("amount"))["t"]
    return (credits or 0) - (debits or 0)


def houses() -> dict[str, int]:
    """Every opened house account's balance, by code."""
    return {a.code: house(a.code) for a in Account.objects.filter(card__isnull=True)}


def snapshot(*cards: Card) -> tuple:
    """Ledger row counts, then each card's CARD_FIELDS and balances (read without opening
    accounts, so a card in stock stays without them)."""
    rows = tuple(model.objects.count() for model in LEDGER_ROWS)
    states = [Card.objects.values_list(*CARD_FIELDS).get(pk=c.pk) for c in cards]
    return rows, states, [f.balances(c) for c in cards]


@contextlib.contextmanager
def unchanged(*cards: Card) -> Iterator[None]:
    """Ledger rows, and the cards' states and balances, are the same after the block."""
    before = snapshot(*cards)
    yield
    assert snapshot(*cards) == before


@contextlib.contextmanager
def refused(error: type[Exception], code: str, *cards: Card) -> Iterator[pytest.ExceptionInfo]:
    """The block raises ``error`` with ``code``; rows, states and balances stay as they were."""
    with unchanged(*cards):
        with pytest.raises(error) as info:
            yield info
        assert info.value.code == code


def pay(actor, card, amount, **kwargs):
    """A purchase of ``amount`` with ``card``, under a fresh key unless one is given."""
    kwargs.setdefault("idempotency_key", f.key())
    return purchase(actor=actor, card_number=card.number, amount_minor=amount, **kwargs)


def add(actor, card, amount, **kwargs):
    """A top-up of ``amount`` in cash, under a fresh key, unless told otherwise."""
    kwargs.setdefault("tender", "cash")
    kwargs.setdefault("idempotency_key", f.key())
    return top_up(actor=actor, card_number=card.number, amount_minor=amount, **kwargs)
