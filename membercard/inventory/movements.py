"""Writing stock movements: one row for every change of a card's state or location.

``record`` writes one card's movement (``membercard.inventory.lifecycle.transition`` calls it),
``record_new_cards`` the first movements of new cards, and ``record_bulk`` the movements of
many cards in one statement, for batch-wide work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

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


class OfCard(str):
    """A ``record_bulk`` value read off each card's own row: the name of a Card field."""


def record_bulk(
    card_ids: Sequence[int],
    *,
    event: str,
    by: Actor | None,
    reason: str = "",
    **values: object,
) -> None:
    """One stock movement per card in ``card_ids`` (in id order), written by a single
    ``INSERT ... SELECT`` over the card rows: for batch-wide work, where a ``record`` per
    card would be far too slow. Each row is exactly what ``transition`` (through ``record``)
    or ``record_new_cards`` writes for the same change, so ``membercard verify`` replays it.

    ``values`` are the other StockMovement fields (``from_state``, ``to_location``,
    ``batch``...). An ``OfCard`` value is read off each card's row as it is when the
    statement runs: the caller holds the rows (locked, or just inserted), so that is what
    ``transition`` would have recorded. Any other value (for a foreign key, the object or
    its primary key) is the same for every row. A field given no value takes its default
    (``created_at``: once for the whole statement) or NULL; a field that has neither is a
    programming error, refused (``TypeError``) before anything is written.
    """
    if not card_ids:
        return
    values = {"card": OfCard("id"), "event": event, **_who(by), "reason": reason, **values}
    quote = connection.ops.quote_name
    columns, selects, params = [], [], []
    for field in StockMovement._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.name in values:
            value = values[field.name]
        elif field.has_default() or field.null:
            value = field.get_default()
        else:
            raise TypeError(f"No value for StockMovement.{field.name} in a bulk movement.")
        columns.append(quote(field.column))
        if isinstance(value, OfCard):
            selects.append(f"c.{quote(Card._meta.get_field(value).column)}")
        else:
            if isinstance(value, models.Model):
                value = value.pk
            selects.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    cards, pk = quote(Card._meta.db_table), quote(Card._meta.pk.column)
    marks = ", ".join(["%s"] * len(card_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(StockMovement._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(selects)} FROM {cards} c WHERE c.{pk} IN ({marks}) "
            f"ORDER BY c.{pk}",
            [*params, *card_ids],
        )
