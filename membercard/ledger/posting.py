"""Posting an operation: lock the cards, write the operation and its transfers, move
the running balances, extend each card's hash chain. Called by services only,
inside their business-operation transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, InsufficientBalance, InsufficientPoints
from membercard.core.money import currency
from membercard.ledger import chain
from membercard.ledger.models import Account, ChainLink, Operation, OperationKind, Transfer, Unit


def lock_cards(*numbers: str) -> list[Card]:
    """Lock the cards' rows for the rest of the transaction, in primary-key order.

    Every writer of a card's balance locks the card row first; taking several
    locks always in id order means two operations on the same pair of cards
    (a replacement and a purchase, say) can never wait on each other in a cycle.
    """
    # One statement: rows are locked in the order the sort returns them.
    locked = {
        c.number: c
        for c in Card.objects.select_for_update(of=("self",))
        .select_related("product", "member")
        .filter(number__in=numbers)
        .order_by("pk")
    }
    if any(n not in locked for n in numbers):
        raise CardNotFound()
    return [locked[n] for n in numbers]


@dataclass
class Leg:
    debit: Account
    credit: Account
    amount: int


@dataclass
class Entry:
    """An operation about to be written: header fields plus its legs."""

    kind: OperationKind
    card: Card
    legs: list[Leg] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    def move(self, debit: Account, credit: Account, amount: int) -> None:
        if amount > 0:
            self.legs.append(Leg(debit, credit, amount))


def _apply(account: Account, delta: int) -> int | None:
    """Move a card account's running balance; ``None`` for house accounts (no running balance)."""
    if account.card_id is None:
        return None
    new_balance = account.balance + delta
    if new_balance < 0:
        if account.unit == Unit.POINTS:
            raise InsufficientPoints(available=account.balance)
        raise InsufficientBalance(available_minor=account.balance)
    account.balance = new_balance
    return new_balance


def post(
    entry: Entry,
    *,
    actor: Actor,
    business_date: dt.date,
    created_at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
) -> Operation:
    """Write ``entry`` as one operation on ``business_date``. The cards it touches must be
    locked by the caller, and the caller has checked the day is open (the business
    operations post through ``membercard.operations.posting``, which does both)."""
    now = created_at or timezone.now()
    operation = Operation.objects.create(
        kind=entry.kind,
        card=entry.card,
        location=actor.location,
        staff=actor.staff,
        terminal=actor.terminal,
        created_at=now,
        occurred_at=occurred_at,
        business_date=business_date,
        currency=currency(),
        **entry.fields,
    )
    transfers = []
    touched: dict[int, Account] = {}
    for leg in entry.legs:
        if leg.debit.unit != leg.credit.unit:
            raise ValueError("A transfer moves one unit.")
        transfers.append(
            Transfer(
                operation=operation,
                debit_account=leg.debit,
                credit_account=leg.credit,
                unit=leg.debit.unit,
                amount=leg.amount,
                debit_balance_after=_apply(leg.debit, -leg.amount),
                credit_balance_after=_apply(leg.credit, leg.amount),
            )
        )
        for account in (leg.debit, leg.credit):
            if account.card_id is not None:
                touched[account.pk] = account
    Transfer.objects.bulk_create(transfers)
    for account in touched.values():
        Account.objects.filter(pk=account.pk).update(balance=account.balance)
    _extend_chains(operation, transfers)
    return operation


def _extend_chains(operation: Operation, transfers: list[Transfer]) -> None:
    operation_digest = chain.digest(operation, transfers)
    cards = [operation.card]
    if operation.related_card is not None:
        cards.append(operation.related_card)
    for card in sorted(cards, key=lambda c: c.pk):
        prev = card.chain_head
        card.chain_head = chain.link_hash(prev, operation_digest)
        card.chain_length += 1
        ChainLink.objects.create(
            card=card,
            seq=card.chain_length,
            operation=operation,
            prev_hash=prev,
            hash=card.chain_head,
        )
        Card.objects.filter(pk=card.pk).update(
            chain_head=card.chain_head, chain_length=card.chain_length
        )
