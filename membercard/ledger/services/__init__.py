"""Ledger services: the only code that moves money or points. One transaction each."""

from membercard.ledger.services.corrections import adjust, reverse
from membercard.ledger.services.payments import purchase, refund
from membercard.ledger.services.sales import sell_card, top_up

__all__ = ["adjust", "purchase", "refund", "reverse", "sell_card", "top_up"]
