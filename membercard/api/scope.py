"""What a terminal key may see: cards are chain-wide, stock and operations are its store's.

A card in a customer's hands (active, frozen, expired, replaced) is seen from every store;
a card on a shelf only from the store whose shelf it is. Anything else answers exactly
like a card that does not exist, so a key learns nothing about other stores' stock.
Operations of another store answer like operations that do not exist.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.http import HttpRequest
from django.utils.translation import gettext as _

from membercard.api import throttle
from membercard.cards.models import Card
from membercard.cards.reader import CardReference, ReadAs, parse_reader_input
from membercard.cards.scope import counter_cards
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, DomainError, InvalidCardNumber, NotFound
from membercard.ledger.models import Operation

MISSES = (CardNotFound, InvalidCardNumber)


def number_reference(number: str) -> CardReference:
    """A card number from a URL path: digits only, then the reader's checks (length, bank
    card, check digit)."""
    if not (number.isascii() and number.isdigit()):
        raise InvalidCardNumber(_("A card number is 6 to 19 digits."))
    reference = parse_reader_input(number, hint=ReadAs.KEYED)
    if reference.kind != "number":
        raise InvalidCardNumber(_("A card number is 6 to 19 digits."))
    return reference


def _visible_card(actor: Actor, reference: CardReference) -> Card:
    """The card ``reference`` names, looked up within what the key may see at its counter
    (``membercard.cards.scope``): one query, empty alike for no card and for a card out of
    scope, so neither answer nor timing tells them apart."""
    lookup = {"number": reference.value} if reference.kind == "number" else {"uid": reference.value}
    scope = counter_cards(actor).select_related("product", "member")
    card = scope.filter(**lookup).first()
    if card is None:
        raise CardNotFound()
    return card


def read_card(
    request: HttpRequest, actor: Actor, raw: str, *, from_reader: bool
) -> tuple[Card, ReadAs | None]:
    """A card read (look-up or GET) and how it was read: throttled, and a miss is counted
    for HQ."""
    throttle.hit(actor, request)
    try:
        reference = parse_reader_input(raw) if from_reader else number_reference(raw)
        card = _visible_card(actor, reference)
    except MISSES:
        throttle.record_miss(actor, request)
        raise
    return card, (reference.read_as if from_reader else None)


def _miss(request: HttpRequest, actor: Actor) -> None:
    """A money request named no card it may see: counted, and past the limit a 429."""
    throttle.record_miss(actor, request)
    throttle.hit(actor, request)


def card_for_operation(request: HttpRequest, actor: Actor, number: str) -> Card:
    """The card a money request names, checked before anything is written (a sale
    registers its member first). Not throttled while it hits (a till at work); a miss is
    counted, and past the limit it answers 429 like a look-up would."""
    try:
        return _visible_card(actor, number_reference(number))
    except MISSES:
        _miss(request, actor)
        raise


@contextlib.contextmanager
def money_on_card(request: HttpRequest, actor: Actor, number: str) -> Iterator[str]:
    """Run a money service on the card ``number`` names (yields the clean number) without
    a query of its own on the way in: a service that succeeds used a card in a customer's
    hands or on this store's shelf, which the key may see anyway. Only when the service
    refuses is the card's visibility checked, so that another store's stock answers 404
    like a card that does not exist, not "card not active"."""
    try:
        reference = number_reference(number)
    except MISSES:
        _miss(request, actor)
        raise
    try:
        yield reference.value
    except CardNotFound:
        _miss(request, actor)
        raise
    except DomainError:
        if not counter_cards(actor).filter(number=reference.value).exists():
            _miss(request, actor)
            raise CardNotFound() from None
        raise


def store_operation(actor: Actor, operation_id: int) -> Operation:
    operation = (
        Operation.objects.filter(pk=operation_id, location=actor.location)
        .select_related("card", "location", "terminal")
        .first()
    )
    if operation is None:
        raise NotFound(_("No operation with that number here."))
    return operation
