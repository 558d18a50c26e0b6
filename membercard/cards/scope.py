"""Which cards a location may see, and how: the one rule behind every card number a store
resolves (counter look-ups, stocktakes, handovers, stock pages, the API).

A card number is a bearer secret, so a store must learn nothing about cards it does not
hold. A store sees three kinds of card:

- **its stock**: cards on its shelf (``in_stock`` or ``recovered`` at its location);
- **its documents**: cards on the road on one of its open handovers (sent or to receive);
- **a card presented at its counter**: a card in a customer's hands, looked up one at a
  time by its full number through the counter look-up only (never listed, never in a
  range, never in stock work).

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


def _stock_of(location: Location) -> Q:
    """Cards on ``location``'s shelf."""
    return Q(location=location, state__in=sorted(AT_A_LOCATION))


def _documents_of(location: Location) -> Q:
    """Cards in transit on an open handover that ``location`` sends or receives.

    One ``filter()`` call, so every condition holds for the same handover line (not a card
    in transit elsewhere that once travelled on an old handover of this location).
    """
    # Imported here: inventory sits above cards (as in ``cards.lifecycle``).
    from membercard.inventory.selectors import OPEN_HANDOVER_STATES, TRAVELLING_LINE_STATUSES

    travelling = Card.objects.filter(
        Q(handover_lines__handover__from_location=location)
        | Q(handover_lines__handover__to_location=location),
        state=CardState.IN_TRANSIT,
        handover_lines__handover__state__in=OPEN_HANDOVER_STATES,
        handover_lines__status__in=TRAVELLING_LINE_STATUSES,
    )
    return Q(pk__in=travelling.values("pk"))


def cards_seen_from(location: Location, *, at_counter: bool = False) -> QuerySet[Card]:
    """The cards ``location`` may resolve: its stock and its documents; with ``at_counter``
    its stock and the cards in customers' hands instead. Everything at headquarters."""
    if location.is_hq:
        return Card.objects.all()
    if at_counter:
        return Card.objects.filter(_stock_of(location) | Q(state__in=sorted(IN_CUSTOMER_HANDS)))
    return Card.objects.filter(_stock_of(location) | _documents_of(location))


def cards_in_scope(actor: Actor, *, at_counter: bool = False) -> QuerySet[Card]:
    """The cards ``actor`` may see (see :func:`cards_seen_from`); resolve numbers through it."""
    return cards_seen_from(actor.location, at_counter=at_counter)


def card_in_scope(actor: Actor, card: Card, *, at_counter: bool = False) -> bool:
    """Whether ``actor`` may see ``card`` already in hand (the rule of :func:`cards_seen_from`
    for one card). At the counter it costs no query; stock work asks the database only for a
    card in transit (is it on one of our open handovers?)."""
    if actor.at_hq:
        return True
    if card.state in AT_A_LOCATION and card.location_id == actor.location.pk:
        return True
    if at_counter:
        return card.state in IN_CUSTOMER_HANDS
    if card.state != CardState.IN_TRANSIT:
        return False
    return Card.objects.filter(_documents_of(actor.location), pk=card.pk).exists()
