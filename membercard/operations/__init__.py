"""Ledger services: the only code that moves money or points. One transaction each."""

from membercard.operations.corrections import adjust, reverse
from membercard.operations.payments import purchase, refund
from membercard.operations.sales import sell_card, top_up

__all__ = ["adjust", "purchase", "refund", "reverse", "sell_card", "top_up"]
