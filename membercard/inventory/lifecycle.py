"""The one place a card changes state or location. Refuses transitions not in the machine,
and writes the stock movement that records the change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.states import AT_A_LOCATION, CardState, can_transition
from membercard.core.errors import InvalidTransition
from membercard.core.models import Location

if TYPE_CHECKING:
    from membercard.core.actors import Actor


def transition(
    card: Card,
    target: CardState,
    *,
    event: str,
    by: Actor | None,
    location: Location | None = None,
    document: dict | None = None,
    reason: str = "",
    **changes: object,
) -> None:
    """Move a locked ``card`` to ``target``; ``location`` is where it sits, if it sits anywhere.

    ``event`` names what happened (``card.sold``, ``handover.received``…), ``document``
    the operation, batch or handover behind it; ``changes`` are other card fields set in
    the same write (member, expiry…).
    """
    from membercard.inventory import movements

    if not can_transition(card.state, target):
        raise InvalidTransition(
            _("A card that is %(state)s cannot become %(target)s.")
            % {"state": CardState(card.state).label.lower(), "target": target.label.lower()},
            state=card.state,
            target=str(target),
        )
    if target in AT_A_LOCATION and location is None:
        raise ValueError(f"A card {target} must be at a location.")
    from_state, from_location_id = card.state, card.location_id
    card.state = target
    card.location = location if target in AT_A_LOCATION else None
    for name, value in changes.items():
        setattr(card, name, value)
    card.save(update_fields=["state", "location", *changes])
    movements.record(
        card,
        event=event,
        from_state=from_state,
        from_location_id=from_location_id,
        by=by,
        reason=reason,
        **(document or {}),
    )
