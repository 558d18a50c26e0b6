"""Replay the stock movements from the start: they must give exactly every card's current
state and location, and each movement must start where the previous one ended, so a card
can never have been in two places."""

from __future__ import annotations

from membercard.cards.models import Card
from membercard.cards.states import AT_A_LOCATION, CardState, can_transition
from membercard.inventory.models import StockMovement
from membercard.ledger.verify import Summary

CHUNK = 2000
# A card's first movement creates it: on order (a batch's numbers) or straight into stock.
FIRST_STATES = frozenset({CardState.PRODUCED, CardState.IN_STOCK})


def _step_problem(from_state: str, to_state: str, to_location: int | None) -> str | None:
    """Why one movement is not a change the card state machine allows, or None."""
    if to_state not in CardState.values or (from_state and from_state not in CardState.values):
        return f"names an unknown state ({from_state or 'nowhere'} to {to_state})"
    allowed = can_transition(from_state, to_state) if from_state else to_state in FIRST_STATES
    if not allowed:
        return f"goes from {from_state or 'nowhere'} to {to_state}, which is not a card transition"
    if (to_state in AT_A_LOCATION) != (to_location is not None):
        return f"leaves the card {to_state} at {to_location}"
    return None


def _replay(card: Card, moves: list[tuple]) -> str | None:
    state, location = "", None
    for movement_id, event, from_state, from_location, to_state, to_location in moves:
        if (from_state, from_location) != (state, location):
            return (
                f"card {card.number}: movement {movement_id} ({event}) starts from "
                f"{from_state or 'nowhere'}@{from_location} but the card was "
                f"{state or 'nowhere'}@{location}"
            )
        if problem := _step_problem(from_state, to_state, to_location):
            return f"card {card.number}: movement {movement_id} ({event}) {problem}"
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
