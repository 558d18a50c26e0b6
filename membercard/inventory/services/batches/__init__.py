"""Production batches at HQ: order cards with generated numbers or import the manufacturer's
numbers (``ordering``), receive the batch into HQ stock or cancel it, and void misprints
(``receiving``); sign HQ's own steps on a received batch, checked and made ready
(``signoffs``).

A batch may hold 200 000 cards, so batch-wide work writes cards and stock movements in
chunks (bulk inserts, queryset updates, ``movements.record_bulk``) instead of one
``transition`` per card. Each movement row is exactly what
``membercard.inventory.lifecycle.transition`` would write, so ``membercard verify`` replays them
cleanly. Per-card work (voiding misprints) goes through ``transition`` itself.
"""

from membercard.inventory.services.batches.ordering import (
    CHUNK,
    MAX_QUANTITY,
    Progress,
    create_batch,
    import_batch,
)
from membercard.inventory.services.batches.receiving import (
    cancel_batch,
    receive_batch,
    void_cards,
)
from membercard.inventory.services.batches.signoffs import sign_batch_step

__all__ = [
    "CHUNK",
    "MAX_QUANTITY",
    "Progress",
    "batch_steps",
    "cancel_batch",
    "create_batch",
    "import_batch",
    "next_step",
    "receive_batch",
    "sign_batch_step",
    "void_cards",
]
