"""Reads about card stock: what each location holds, the cards there, a card's movements.

Counts are aggregated in the database (one query per kind of figure, whatever the number
of cards); only number ranges need the numbers themselves, read per location and product.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.models import Location
from membercard.inventory.models import (
    HandoverLine,
    HandoverState,
    LineStatus,
    StockMovement,
)
from membercard.inventory.ranges import NumberRange, to_ranges

# Handovers whose cards may still be on the road: dispatched and not (all) received yet.
OPEN_HANDOVER_STATES = (HandoverState.DISPATCHED, HandoverState.DISCREPANCY)
# Lines whose card travels on that handover (an unexpected line was not sent on it).
TRAVELLING_LINE_STATUSES = (LineStatus.LISTED, LineStatus.MISSING)


@dataclass(frozen=True)
class StockLine:
    """One location's stock of one product."""

    location: Location
    product: CardProduct
    in_stock: int = 0
    recovered: int = 0
    in_transit_in: int = 0  # on open handovers to this location
    in_transit_out: int = 0  # on open handovers from this location
    ranges: list[NumberRange] = field(default_factory=list)  # of the cards in stock
    recovered_ranges: list[NumberRange] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        """Cards physically at the location (in stock or recovered)."""
        return self.in_stock + self.recovered

    @property
    def counts(self) -> dict[str, int]:
        return {
            CardState.IN_STOCK: self.in_stock,
            CardState.RECOVERED: self.recovered,
            "in_transit_in": self.in_transit_in,
            "in_transit_out": self.in_transit_out,
        }


def _scoped(queryset: QuerySet, prefix: str, location: Location | None, product) -> QuerySet:
    if location is not None:
        queryset = queryset.filter(**{f"{prefix}location": location})
    if product is not None:
        queryset = queryset.filter(**{f"{prefix}product": product})
    return queryset


def _in_transit(
    side: str, location: Location | None, product: CardProduct | None
) -> dict[tuple[int, int], int]:
    """Cards on the road per (location at ``side`` of the handover, product)."""
    lines = HandoverLine.objects.filter(
        handover__state__in=OPEN_HANDOVER_STATES,
        status__in=TRAVELLING_LINE_STATUSES,
        card__state=CardState.IN_TRANSIT,
    )
    if location is not None:
        lines = lines.filter(**{f"handover__{side}_location": location})
    if product is not None:
        lines = lines.filter(card__product=product)
    rows = lines.values(f"handover__{side}_location", "card__product").annotate(
        n=Count("card", distinct=True)
    )
    return {(row[f"handover__{side}_location"], row["card__product"]): row["n"] for row in rows}


def stock_ranges(
    *, location: Location | int, product: CardProduct | int, state: str = CardState.IN_STOCK
) -> list[NumberRange]:
    """The number ranges of ``product``'s cards in ``state`` at ``location``."""
    numbers = Card.objects.filter(location=location, product=product, state=state).values_list(
        "number", flat=True
    )
    return to_ranges(numbers.iterator(chunk_size=5000))


def stock_summary(
    *,
    location: Location | None = None,
    product: CardProduct | None = None,
    with_ranges: bool = True,
) -> list[StockLine]:
    """Per location and product: cards in stock and recovered there, cards on the road to
    and from it (open handovers), and the number ranges of the cards in stock.

    Ordered by location code, then product code. Without ``with_ranges`` it costs a fixed
    number of queries whatever the stock; ranges add one query per line (and its numbers).
    """
    held: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    rows = (
        _scoped(Card.objects.filter(state__in=sorted(AT_A_LOCATION)), "", location, product)
        .values("location", "product", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        held[(row["location"], row["product"])][row["state"]] = row["n"]
    incoming = _in_transit("to", location, product)
    outgoing = _in_transit("from", location, product)

    keys = set(held) | set(incoming) | set(outgoing)
    locations = Location.objects.in_bulk({loc for loc, _ in keys})
    products = CardProduct.objects.in_bulk({prod for _, prod in keys})
    lines = []
    for loc_id, prod_id in keys:
        states = held.get((loc_id, prod_id), {})
        in_stock, recovered = states.get(CardState.IN_STOCK, 0), states.get(CardState.RECOVERED, 0)
        ranges: list[NumberRange] = []
        recovered_ranges: list[NumberRange] = []
        if with_ranges and in_stock:
            ranges = stock_ranges(location=loc_id, product=prod_id)
        if with_ranges and recovered:
            recovered_ranges = stock_ranges(
                location=loc_id, product=prod_id, state=CardState.RECOVERED
            )
        lines.append(
            StockLine(
                location=locations[loc_id],
                product=products[prod_id],
                in_stock=in_stock,
                recovered=recovered,
                in_transit_in=incoming.get((loc_id, prod_id), 0),
                in_transit_out=outgoing.get((loc_id, prod_id), 0),
                ranges=ranges,
                recovered_ranges=recovered_ranges,
            )
        )
    lines.sort(key=lambda line: (line.location.code, line.product.code))
    return lines


def cards_in_stock(*, location: Location, product: CardProduct | None = None) -> QuerySet[Card]:
    """The cards ``location`` can sell or hand over (state ``in_stock``), ordered by number.

    Equality filters on location and state, then ordered by the unique number: a cursor
    page (``number__gt=<last seen>``, sliced) walks an index instead of sorting the stock.
    """
    cards = Card.objects.filter(location=location, state=CardState.IN_STOCK)
    if product is not None:
        cards = cards.filter(product=product)
    return cards.order_by("number")


@dataclass(frozen=True)
class HistoryEntry:
    """One stock movement as a person reads it: when, what, from/to, who, which document."""

    movement: StockMovement
    at: dt.datetime
    event: str
    from_state: str
    to_state: str
    from_location: Location | None
    to_location: Location | None
    who: str
    document: str
    reason: str


def _who(movement: StockMovement) -> str:
    if movement.staff is not None:
        return str(movement.staff)
    if movement.terminal is not None:
        return f"terminal {movement.terminal}"
    return "system"


def _document(movement: StockMovement) -> str:
    if movement.operation is not None:
        return f"operation {movement.operation.pk} ({movement.operation.get_kind_display()})"
    if movement.batch is not None:
        return f"batch {movement.batch.document_number}"
    if movement.handover is not None:
        return f"handover {movement.handover.document_number}"
    return ""


def card_history(card: Card) -> list[HistoryEntry]:
    """Every stock movement of ``card``, newest first (one query, on the card's index)."""
    movements = (
        StockMovement.objects.filter(card=card)
        .select_related(
            "staff",
            "terminal__location",
            "from_location",
            "to_location",
            "operation",
            "batch",
            "handover",
        )
        .order_by("-pk")
    )
    return [
        HistoryEntry(
            movement=m,
            at=m.created_at,
            event=m.event,
            from_state=m.from_state,
            to_state=m.to_state,
            from_location=m.from_location,
            to_location=m.to_location,
            who=_who(m),
            document=_document(m),
            reason=m.reason,
        )
        for m in movements
    ]
