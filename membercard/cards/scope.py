"""Which cards a location may see, and how: the one rule behind every card number a store
resolves. This half is the counter's (look-ups, the API); stock work (stocktakes,
handovers, stock pages) adds the location's documents in ``membercard.inventory.scope``,
which knows handovers (the cards layer does not).

A card number is a bearer secret, so a store must learn nothing about cards it does not
hold. A store sees three kinds of card:

- **its stock**: cards on its shelf (``in_stock`` or ``recovered`` at its location);
- **its documents**: cards on the road on one of its open handovers (``inventory.scope``);
- **a card presented at its counter**: a card in a customer's hands, looked up one at a
  time by its full number through the counter look-up only (never listed, never in a
  range, never in stock work).

**Finding a customer's cards without the card** (a lost card, ``loyalty.lost_cards``) lists
cards, so it follows the listing rule, not the presented-card one: a store finds only its
own customers' cards (sold here, or whose member registered here) that can still be frozen
or replaced; headquarters finds every member's. A customer of another store asks that
store or headquarters (which may freeze and replace any card).

Headquarters sees every card. Anything else answers exactly like a number that does not
exist: callers resolve numbers *through* these querysets (one query whose answer is empty
for both), never by fetching a card and comparing afterwards.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from membercard.cards.models import Card
from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.actors import Actor
from membercard.core.models import Location

# Cards a customer holds: presented at any store's counter (a chain-wide card), one by one.
IN_CUSTOMER_HANDS = frozenset(
    {CardState.ACTIVE, CardState.FROZEN, CardState.EXPIRED, CardState.REPLACED}
)


def stock_of(location: Location) -> Q:
    """Cards on ``location``'s shelf."""
    return Q(location=location, state__in=sorted(AT_A_LOCATION))


# Cards a lost-card search lists: those that can still be frozen or replaced.
ISSUED = frozenset({CardState.ACTIVE, CardState.FROZEN})


def customers_cards(actor: Actor) -> QuerySet[Card]:
    """The issued cards ``actor`` may list for a member who identified themselves: at a
    store, its own customers' (sold here, or whose member registered here); at HQ, all."""
    issued = Card.objects.filter(state__in=sorted(ISSUED), member__isnull=False)
    if actor.location.is_hq:
        return issued
    here = actor.location
    return issued.filter(Q(sold_at=here) | Q(member__registered_at=here))


def on_shelf_of(actor: Actor, card: Card) -> bool:
    """Whether ``card`` (already in hand) is on ``actor``'s shelf."""
    return card.state in AT_A_LOCATION and card.location_id == actor.location.pk


def counter_cards(actor: Actor) -> QuerySet[Card]:
    """The cards ``actor``'s counter may resolve: its stock and the cards in customers'
    hands; every card at headquarters."""
    if actor.location.is_hq:
        return Card.objects.all()
    return Card.objects.filter(stock_of(actor.location) | Q(state__in=sorted(IN_CUSTOMER_HANDS)))


def seen_at_counter(actor: Actor, card: Card) -> bool:
    """Whether ``actor``'s counter may see ``card`` already in hand (the rule of
    :func:`counter_cards` for one card, at no query)."""
    return actor.at_hq or on_shelf_of(actor, card) or card.state in IN_CUSTOMER_HANDS
