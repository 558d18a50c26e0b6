"""The business operations: the only code that moves money, points or a card's value.

Each public operation is one database transaction (``core.transactions``), holding its
idempotency key, its ledger rows and its audit row. By family: ``sales`` (sell a card,
top up), ``payments`` (purchase, refund), ``corrections`` (reverse, adjust),
``card_life`` (freeze, unfreeze, replace, restock), ``hand_back`` (a one-time card
handed back), ``gifts`` (redeem a gift),
``expiry`` (points expiry); ``pricing`` and ``quotes`` price a purchase before it is
made; ``posting`` writes an operation on the store's business day.
"""

from membercard.operations.corrections import adjust, reverse
from membercard.operations.payments import purchase, refund
from membercard.operations.sales import sell_card, top_up

__all__ = ["adjust", "purchase", "refund", "reverse", "sell_card", "top_up"]
