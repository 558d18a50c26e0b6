from __future__ import annotations

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.models import Location
from membercard.ledger.models import Operation


def start_page_figures() -> dict[str, int]:
    return {
        "locations": Location.objects.count(),
        "cards": Card.objects.count(),
        "active_cards": Card.objects.filter(state=CardState.ACTIVE).count(),
        "operations": Operation.objects.count(),
    }
