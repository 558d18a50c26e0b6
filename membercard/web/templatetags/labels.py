"""Labels for codes stored in the data: ``{{ m.event|event_label }}`` (a stock movement's
event), ``{{ t.tender|tender_label }}`` (a tender), ``{{ state|card_state_label }}`` (a
card's state), in the active language; a code without a label is shown as it is.
``{{ number|card_shown:masked }}``: a card number, masked when ``masked``."""

from __future__ import annotations

from django import template

from membercard.cards.states import CardState
from membercard.core.redaction import mask_number
from membercard.inventory.models import event_label as _event_label
from membercard.ledger.models import Tender

register = template.Library()


@register.filter
def event_label(code: str | None) -> str:
    return _event_label(code) if code else ""


@register.filter
def tender_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return str(Tender(code).label)
    except ValueError:
        return code


@register.filter
def card_state_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return str(CardState(code).label)
    except ValueError:
        return code


@register.filter
def card_shown(number: str | None, masked: bool) -> str:
    """A card number as the page may show it: whole at HQ, masked where the card is
    outside the viewer's scope (a store's list of requests: the card was presented once)."""
    if not number:
        return ""
    return mask_number(number) if masked else number
