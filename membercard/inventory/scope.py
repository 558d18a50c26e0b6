"""Which cards a location may see in stock work (stocktakes, handovers, stock pages): its
stock and its documents. The counter's half of the rule, and why a number out of scope
must answer like one that does not exist, is in ``membercard.cards.scope``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from membercard.cards.models import Card
from membercard.cards.scope import on_shelf_of, stock_of
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.models import Location
from membercard.inventory.selectors import OPEN_HANDOVER_STATES, TRAVELLING_LINE_STATUSES


def _documents_of(location: Location) -> Q:
    """Cards in transit on an open handover that ``location`` sends or receives.

    One ``filter()`` call, so every condition holds for the same handover line (not a card
    in transit elsewhere that once travelled on an old handover of this location).
    """
    travelling = Card.objects.filter(
        Q(handover_lines__handover__from_location=location)
        | Q(handover_lines__handover__to_location=location),
        state=CardState.IN_TRANSIT,
        handover_lines__handover__state__in=OPEN_HANDOVER_STATES,
        handover_lines__status__in=TRAVELLING_LINE_STATUSES,
    )
    return Q(pk__in=travelling.values("pk"))


def cards_seen_from(location: Location) -> QuerySet[Card]:
    """The cards ``location`` may resolve in stock work: its stock and its documents;
    everything at headquarters."""
    if location.is_hq:
        return Card.objects.all()
    return Card.objects.filter(stock_of(location) | _documents_of(location))


def cards_in_scope(actor: Actor) -> QuerySet[Card]:
    """The cards ``actor`` may see in stock work; resolve numbers through it."""
    return cards_seen_from(actor.location)


def card_in_scope(actor: Actor, card: Card) -> bool:
    """Whether ``actor`` may see ``card`` already in hand in stock work (the rule of
    :func:`cards_seen_from` for one card): the database is asked only for a card in
    transit (is it on one of our open handovers?)."""
    if actor.at_hq or on_shelf_of(actor, card):
        return True
    if card.state != CardState.IN_TRANSIT:
        return False
    return Card.objects.filter(_documents_of(actor.location), pk=card.pk).exists()
