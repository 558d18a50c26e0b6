"""Reads from the ledger: a card's balances, as the counter shows them after a swipe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from membercard.cards.models import Card
from membercard.cards.reader import ReadAs, parse_reader_input
from membercard.cards.selectors import Presented, find_card
from membercard.core.money import currency
from membercard.ledger.models import AccountKind


@dataclass(frozen=True)
class CardSummary:
    """What the counter shows after a swipe."""

    card: Card
    read_as: ReadAs | None
    principal_minor: int
    bonus_minor: int
    points: int
    currency: str

    @property
    def balance_minor(self) -> int:
        return self.principal_minor + self.bonus_minor

    @property
    def expires_on(self) -> dt.date | None:
        return self.card.expires_on


def card_summary(card: Card, read_as: ReadAs | None = None) -> CardSummary:
    balances = dict(card.accounts.values_list("kind", "balance"))
    return CardSummary(
        card=card,
        read_as=read_as,
        principal_minor=balances.get(AccountKind.CARD_PRINCIPAL, 0),
        bonus_minor=balances.get(AccountKind.CARD_BONUS, 0),
        points=balances.get(AccountKind.CARD_POINTS, 0),
        currency=currency(),
    )


def summary_of(presented: Presented) -> CardSummary:
    return card_summary(presented.card, presented.read_as)


def look_up(raw_input: str) -> CardSummary:
    """Parse reader input (refusing mistyped and bank card numbers first), then find the card.

    Unthrottled and unscoped: for HQ's own searches. A number a store user or a till types,
    swipes or sends goes through ``cards/lookups.py`` (one throttle, misses counted, scope)."""
    reference = parse_reader_input(raw_input)
    return card_summary(find_card(reference), reference.read_as)
