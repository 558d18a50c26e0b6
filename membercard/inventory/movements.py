"""Writing stock movements: one row for every change of a card's state or location."""

from __future__ import annotations

from collections.abc import Iterable

from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.inventory.models import StockMovement


def _who(by: Actor | None) -> dict:
    if by is None:
        return {}
    return {"staff": by.staff, "terminal": by.terminal}


def record(
    card: Card,
    *,
    event: str,
    from_state: str,
    from_location_id: int | None,
    by: Actor | None,
    **document: object,
) -> StockMovement:
    """Record that ``card`` (already changed) came from ``from_state`` at ``from_location_id``."""
    return StockMovement.objects.create(
        card=card,
        event=event,
        from_state=from_state,
        to_state=card.state,
        from_location_id=from_location_id,
        to_location_id=card.location_id,
        **_who(by),
        **document,
    )


def record_new_cards(
    cards: Iterable[Card], *, event: str, by: Actor | None, batch_size: int = 2000, **document
) -> int:
    """The first movement of freshly created cards: from nowhere to their state and place."""
    rows = [
        StockMovement(
            card=card,
            event=event,
            from_state="",
            to_state=card.state,
            to_location_id=card.location_id,
            **_who(by),
            **document,
        )
        for card in cards
    ]
    StockMovement.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
