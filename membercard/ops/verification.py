"""Every check ``membercard verify`` runs, in one list (stock, points and day seals join it)."""

from __future__ import annotations

from membercard.days.seals import verify_seals
from membercard.inventory.verify import verify_stock
from membercard.ledger.verify import Summary, verify_ledger
from membercard.loyalty.verify import verify_gift_stock, verify_points
from membercard.reports.verify import verify_rollups


def run_all_checks() -> list[Summary]:
    return [
        verify_ledger(),
        verify_seals(),
        verify_stock(),
        verify_points(),
        verify_gift_stock(),
        verify_rollups(),
    ]
