"""Factories for the card stock tests, on top of tests/factories.py: runs of consecutive
cards in stock at a location, stock staff at HQ and in stores, recovered one-time cards,
batches on order, draft handovers, and what a refused stock request must leave alone."""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Iterator, Sequence

import pytest
from pypdf import PdfReader

from membercard.cards.models import Batch, Card, CardProduct
from membercard.cards.numbers import luhn_check_digit
from membercard.core.actors import Actor
from membercard.core.models import Location, Role
from membercard.inventory import movements
from membercard.inventory.models import (
    Handover,
    HandoverLine,
    StockMovement,
    Stocktake,
    StocktakeCount,
    StocktakeDifference,
)
from membercard.inventory.services import batches
from membercard.inventory.services.batches import ordering, receiving
from membercard.inventory.services.handovers import add_cards, create_handover
from membercard.operations.card_life import recover_card
from membercard.ops.verification import run_all_checks
from tests import factories as f
from tests.ledger.helpers import pay

# Each run starts at a fresh multiple of 10 000 so runs of one product never touch.
_runs = itertools.count(1)


def number(product: CardProduct, payload: int) -> str:
    """The card number of ``product`` with serial ``payload`` (Luhn digit added)."""
    digits = product.number_length - len(product.number_prefix) - 1
    body = f"{product.number_prefix}{payload:0{digits}d}"
    return body + luhn_check_digit(body)


def run_of_cards(
    product: CardProduct, location: Location, count: int, *, step: int = 1
) -> list[Card]:
    """``count`` cards in stock at ``location``, in number order: consecutive numbers, or
    every ``step``-th number (so each card is a range of its own)."""
    start = next(_runs) * 10_000
    cards = Card.objects.bulk_create(
        Card(number=number(product, start + i * step), product=product, location=location)
        for i in range(count)
    )
    cards = list(Card.objects.filter(number__in=[c.number for c in cards]).order_by("number"))
    movements.record_new_cards(cards, event="card.registered", by=None)
    return cards


def keeper(role: Role = Role.HQ_STOCK) -> Actor:
    """A stock keeper (or another HQ role) at head office."""
    return f.actor(role, f.hq())


def store_staff(code: str = "S01", role: Role = Role.STORE_MANAGER) -> Actor:
    """A store manager (or another store role) at store ``code``."""
    return f.actor(role, f.store(code))


def recovered_card(store: Location) -> Card:
    """A one-time card sold at ``store``, spent to zero and handed back there."""
    cashier = store_staff(store.code, Role.STORE_CASHIER)
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    pay(cashier, card, 5_000)
    recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())
    card.refresh_from_db()
    return card


def order_batch(actor: Actor, product: CardProduct, quantity: int = 5, **order) -> Batch:
    """A batch of ``quantity`` cards with generated numbers, on order (unit cost 120 unless
    ``order`` says otherwise)."""
    order.setdefault("unit_cost_minor", 120)
    return batches.create_batch(actor=actor, product=product, quantity=quantity, **order)


def small_chunks(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Batch services write ``size`` cards at a time, so a small batch crosses chunks."""
    for module in (ordering, receiving):
        monkeypatch.setattr(module, "CHUNK", size)


def draft_handover(actor: Actor, to: Location, cards: Sequence[Card] = (), **kwargs) -> Handover:
    """A draft handover from the actor's location to ``to``, listing ``cards`` if any."""
    handover = create_handover(actor=actor, to_location=to, **kwargs)
    if cards:
        add_cards(actor=actor, handover_id=handover.pk, numbers=[c.number for c in cards])
    return handover


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def where(card: Card) -> tuple[str, int | None]:
    """(state, location id) of the card as stored now."""
    return tuple(Card.objects.values_list("state", "location_id").get(pk=card.pk))


def stock_is_consistent() -> None:
    """``membercard verify`` finds nothing: movements replay to every card's state and place."""
    problems = [problem for summary in run_all_checks() for problem in summary.problems]
    assert problems == []


def _snapshot() -> tuple:
    """Every row a stock service writes, the documents' states, and every card's place."""
    return (
        Batch.objects.count(),
        StockMovement.objects.count(),
        list(HandoverLine.objects.order_by("pk").values_list("pk", "card_id", "status")),
        list(Handover.objects.order_by("pk").values_list("pk", "state")),
        list(Stocktake.objects.order_by("pk").values_list("pk", "state")),
        StocktakeCount.objects.count(),
        StocktakeDifference.objects.count(),
        list(Card.objects.order_by("pk").values_list("pk", "number", "state", "location_id")),
    )


@contextlib.contextmanager
def refused(error: type[Exception], code: str) -> Iterator[pytest.ExceptionInfo]:
    """The block raises ``error`` with ``code``; batches, movements, handovers and their
    lines, stocktakes and their counts and differences, and every card's number, state and
    place stay as they were."""
    before = _snapshot()
    with pytest.raises(error) as info:
        yield info
    assert info.value.code == code
    assert _snapshot() == before
