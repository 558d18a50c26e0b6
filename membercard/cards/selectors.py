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
