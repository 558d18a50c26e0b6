"""The card state machine. Only the transitions listed here exist."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CardState(models.TextChoices):
    PRODUCED = "produced", _("Ordered from the manufacturer")
    IN_STOCK = "in_stock", _("In stock")
    IN_TRANSIT = "in_transit", _("In transit")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    REPLACED = "replaced", _("Replaced")
    EXPIRED = "expired", _("Expired")
    RECOVERED = "recovered", _("Recovered")
    VOID = "void", _("Void")


S = CardState
TRANSITIONS: dict[CardState, frozenset[CardState]] = {
    # A batch's numbers exist before the cards do: received into HQ stock, or never delivered.
    S.PRODUCED: frozenset({S.IN_STOCK, S.VOID}),
    # Stock: handed over, sold, or destroyed (damaged, misprinted, lost).
    S.IN_STOCK: frozenset({S.IN_TRANSIT, S.ACTIVE, S.VOID}),
    # On a handover: received (at the receiver, or back at the sender), or lost.
    S.IN_TRANSIT: frozenset({S.IN_STOCK, S.VOID}),
    # In a customer's hands. Back to stock only by reversing the sale the same day.
    S.ACTIVE: frozenset({S.FROZEN, S.REPLACED, S.EXPIRED, S.RECOVERED, S.IN_STOCK}),
    S.FROZEN: frozenset({S.ACTIVE, S.REPLACED, S.EXPIRED}),
    # A one-time card handed back: restocked after a check, returned to HQ, or destroyed.
    S.RECOVERED: frozenset({S.IN_STOCK, S.IN_TRANSIT, S.VOID}),
    S.EXPIRED: frozenset(),
    S.REPLACED: frozenset(),
    S.VOID: frozenset(),
}

# States in which a card physically sits at a location (and must name it).
AT_A_LOCATION = frozenset({S.IN_STOCK, S.RECOVERED})
# States in which a card is in a customer's hands and carries value.
ISSUED = frozenset({S.ACTIVE, S.FROZEN})


def can_transition(current: CardState | str, target: CardState | str) -> bool:
    return CardState(target) in TRANSITIONS[CardState(current)]
