"""Reads about cards: find a card from what the reader typed, and whether a caller may see it.

A card's balances are the ledger's: ``membercard.ledger.selectors.card_summary``."""

from __future__ import annotations

from dataclasses import dataclass

from membercard.cards.models import Card
from membercard.cards.reader import CardReference, ReadAs
from membercard.cards.scope import IN_CUSTOMER_HANDS as IN_CUSTOMER_HANDS  # the rule's home
from membercard.cards.scope import seen_at_counter
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound


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
class Presented:
    """A card presented at a counter (found by a look-up), and how the reader read it."""

    card: Card
    read_as: ReadAs | None = None


@dataclass(frozen=True)
class ReplacementChain:
    """The cards ``card`` replaced (``older``, nearest first) and the cards that replaced it
    (``newer``, nearest first): one customer's card through its replacements."""

    older: list[Card]
    newer: list[Card]


# A chain longer than this is cut (a card replaced every week for years is still shown).
MAX_CHAIN = 50


def replacement_chain(card: Card) -> ReplacementChain:
    """The whole chain of replacements around ``card`` (one query per link)."""
    cards = Card.objects.select_related("product")
    older: list[Card] = []
    current = card
    while len(older) < MAX_CHAIN:
        previous = cards.filter(replaced_by_id=current.pk).first()
        if previous is None:
            break
        older.append(previous)
        current = previous
    newer: list[Card] = []
    current = card
    while len(newer) < MAX_CHAIN:
        following = cards.filter(replaces=current.pk).first()  # as stored, not as in hand
        if following is None:
            break
        newer.append(following)
        current = following
    return ReplacementChain(older=older, newer=newer)
