"""The one place a card changes state or location. Refuses transitions not in the machine."""

from __future__ import annotations

from membercard.cards.models import Card
from membercard.cards.states import AT_A_LOCATION, CardState, can_transition
from membercard.core.errors import InvalidTransition
from membercard.core.models import Location


def transition(
    card: Card, target: CardState, *, location: Location | None = None, **changes: object
) -> None:
    """Move a locked ``card`` to ``target``; ``location`` is where it sits, if it sits anywhere.

    ``changes`` are other card fields set in the same write (member, expiry...).
    """
    if not can_transition(card.state, target):
        raise InvalidTransition(
            f"A card that is {CardState(card.state).label.lower()} cannot become "
            f"{target.label.lower()}.",
            state=card.state,
            target=str(target),
        )
    if target in AT_A_LOCATION and location is None:
        raise ValueError(f"A card {target} must be at a location.")
    card.state = target
    card.location = location if target in AT_A_LOCATION else None
    for name, value in changes.items():
        setattr(card, name, value)
    card.save(update_fields=["state", "location", *changes])
