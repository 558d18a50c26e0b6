"""Replay the stock movements from the start: they must give exactly every card's current
state and location, and each movement must start where the previous one ended, so a card
can never have been in two places."""

from __future__ import annotations

from membercard.cards.models import Card
from membercard.inventory.models import StockMovement
from membercard.ledger.verify import Summary

CHUNK = 2000


def _replay(card: Card, moves: list[tuple]) -> str | None:
    state, location = "", None
    for movement_id, event, from_state, from_location, to_state, to_location in moves:
        if (from_state, from_location) != (state, location):
            return (
                f"card {card.number}: movement {movement_id} ({event}) starts from "
                f"{from_state or 'nowhere'}@{from_location} but the card was "
                f"{state or 'nowhere'}@{location}"
            )
        state, location = to_state, to_location
    if (state, location) != (card.state, card.location_id):
        return (
            f"card {card.number}: stock movements end at {state or 'nowhere'}@{location}, "
            f"but the card is {card.state}@{card.location_id}"
        )
    return None


def verify_stock() -> Summary:
    summary = Summary("stock")
    cards_seen = moves_seen = 0
    card_ids = list(Card.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(card_ids), CHUNK):
        chunk = card_ids[start : start + CHUNK]
        cards = Card.objects.only("pk", "number", "state", "location_id").in_bulk(chunk)
        moves: dict[int, list[tuple]] = {pk: [] for pk in chunk}
        rows = (
            StockMovement.objects.filter(card_id__in=chunk)
            .order_by("card_id", "pk")
            .values_list(
                "card_id",
                "pk",
                "event",
                "from_state",
                "from_location_id",
                "to_state",
                "to_location_id",
            )
        )
        for card_id, *move in rows.iterator(chunk_size=CHUNK):
            moves[card_id].append(tuple(move))
        for card_id in chunk:
            cards_seen += 1
            moves_seen += len(moves[card_id])
            problem = _replay(cards[card_id], moves[card_id])
            if problem:
                summary.problems.append(problem)
    summary.checked["cards"] = cards_seen
    summary.checked["stock movements"] = moves_seen
    return summary
