"""Helpers for the gift tests: gifts and stock set up in one line, and what a refused
request must leave alone (catalog, stock, movements, lots, ledger rows, balances)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from membercard.cards.models import Card
from membercard.core.models import Location, Role
from membercard.loyalty.models import Gift, GiftStock, GiftStockMovement, PointsLot, PointsLotEntry
from membercard.loyalty.services.gifts import adjust_gift_stock
from tests import factories as f
from tests.ledger.helpers import refused
from tests.loyalty.helpers import lots

# The first bytes of a PNG file: all the picture check reads.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def new_gift(code: str, points_price: int, name: str | None = None, **fields) -> Gift:
    gift = Gift(code=code, name=name or code, points_price=points_price, **fields)
    gift.full_clean()
    gift.save()
    return gift


def stocked(gift: Gift, quantities: dict[Location, int]) -> Gift:
    """``gift`` with the given pieces at each location (opening counts adjusted in by HQ)."""
    admin = f.actor(Role.HQ_ADMIN)
    for location, pieces in quantities.items():
        adjust_gift_stock(
            actor=admin, gift_code=gift.code, location=location, delta=pieces, reason="opening"
        )
    return gift


def quantity(gift: Gift, location: Location) -> int:
    row = GiftStock.objects.filter(gift=gift, location=location).first()
    return row.quantity if row else 0


def gift_state() -> tuple:
    """The catalog, every stock figure, and the movement and lot row counts."""
    catalog = list(
        Gift.objects.order_by("pk").values_list(
            "code", "name", "points_price", "is_active", "active_from", "active_until", "picture"
        )
    )
    stock = list(GiftStock.objects.order_by("pk").values_list("gift_id", "location_id", "quantity"))
    counts = tuple(m.objects.count() for m in (GiftStockMovement, PointsLot, PointsLotEntry))
    return catalog, stock, counts


@contextlib.contextmanager
def refused_gift(error: type[Exception], code: str, *cards: Card) -> Iterator[pytest.ExceptionInfo]:
    """The block raises ``error`` with ``code``; the catalog, stock, movements, the cards' lots,
    ledger rows (operations, transfers, keys) and the cards' balances stay as they were."""
    before = gift_state(), [lots(card) for card in cards]
    with refused(error, code, *cards) as info:
        yield info
    assert (gift_state(), [lots(card) for card in cards]) == before
