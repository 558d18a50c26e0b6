"""Reads about cards: find a card from what the reader typed, and its counter summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from membercard.cards.models import Card
from membercard.cards.reader import CardReference, ReadAs, parse_reader_input
from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound
from membercard.core.money import currency
from membercard.ledger.models import AccountKind

# Cards a customer holds are seen from every store (a chain-wide card); a card on a shelf
# only from the location whose shelf it is.
IN_CUSTOMER_HANDS = frozenset(
    {CardState.ACTIVE, CardState.FROZEN, CardState.EXPIRED, CardState.REPLACED}
)


def card_is_visible(actor: Actor, card: Card) -> bool:
    """Whether a store's staff or till may see ``card`` (HQ callers do not ask)."""
    if card.state in IN_CUSTOMER_HANDS:
        return True
    return card.state in AT_A_LOCATION and card.location_id == actor.location.pk


def visible_card(actor: Actor, card: Card) -> Card:
    """``card`` if ``actor`` may see it; another store's shelf answers like no card."""
    if not card_is_visible(actor, card):
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
    """Parse reader input (refusing mistyped and bank card numbers first), then find the card."""
    reference = parse_reader_input(raw_input)
    return card_summary(find_card(reference), reference.read_as)
