"""Checks shared by the business operations: whether a card can be used, tenders, PINs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.calendar import today
from membercard.core.errors import CardExpired, CardNotActive, ValidationFailed
from membercard.ledger.models import Operation, OperationKind, Tender


def ensure_usable(card: Card) -> None:
    """The card is active and not past its expiry date."""
    if card.state == CardState.FROZEN:
        raise CardNotActive(_("The card is frozen (reported lost?)."), state=card.state)
    if card.state != CardState.ACTIVE:
        raise CardNotActive(state=card.state)
    if card.expires_on is not None and card.expires_on < today():
        raise CardExpired(expired_on=card.expires_on.isoformat())


def handed_back_since(card: Card, operation: Operation) -> bool:
    """A one-time card recovered after ``operation`` (and maybe sold again) may belong to
    another customer now: value of the earlier operation must not flow onto it."""
    return card.operations.filter(kind=OperationKind.CARD_RECOVERY, pk__gt=operation.pk).exists()


def check_new_pin(pin: str) -> str:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        raise ValidationFailed(_("A PIN is 4 to 6 digits."), field="pin")
    return pin


def check_tender(tender: str, *, needed: bool) -> str:
    """The tender money was paid (or given back) by; required whenever money moves, and
    one of the known tenders whenever it is given."""
    if not needed and not tender:
        return ""
    if tender not in Tender.values:
        raise ValidationFailed(
            _("Say how the customer paid: one of %(tenders)s.")
            % {"tenders": ", ".join(Tender.values)},
            field="tender",
        )
    return tender
