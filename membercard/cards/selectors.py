"""Reads about cards: find a card from what the reader typed, and its counter summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from membercard.cards.models import Card
from membercard.cards.reader import CardReference, ReadAs, parse_reader_input
from membercard.cards.scope import IN_CUSTOMER_HANDS as IN_CUSTOMER_HANDS  # the rule's home
from membercard.cards.scope import seen_at_counter
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound
from membercard.core.money import currency
from membercard.ledger.models import AccountKind


def card_is_visible(actor: Actor, card: Card) -> bool:
    """Whether ``actor`` may see ``card`` presented at its counter: the counter's side of the
    one scope rule (``membercard.cards.scope``): its own shelf, cards in customers' hands,
    everything at HQ."""
    return seen_at_counter(actor, card)


def visible_card(actor: Actor, card: Card) -> Card:
    """``card`` if ``actor`` may see it; another store's shelf answers like no card."""
    if not seen_at_counter(actor, card):
        raise CardNotFound()
    return card


def find_card(reference: CardReference) -> Card:
    """The card a parsed reader input names (by number or by RFID UID alias)."""
    cards = Card.objects.select_related("product", "member")
    lookup = {"number": reference.value} if reference.kind == "number" else {"uid": reference.value}
    card = cards.filter(**lookup).first()
    if card is None:
        raise CardNotFound()
    return card


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


def look_up(raw_input: str) -> CardSummary:
    """Parse reader input (refusing mistyped and bank card numbers first), then find the card.

    Unthrottled and unscoped: for HQ's own searches. A number a store user or a till types,
    swipes or sends goes through ``cards/lookups.py`` (one throttle, misses counted, scope)."""
    reference = parse_reader_input(raw_input)
    return card_summary(find_card(reference), reference.read_as)
