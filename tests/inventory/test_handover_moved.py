"""An unexpected card that physically arrived is moved into the receiver's stock
(``resolve_line(outcome="moved")``): from in stock where it is booked, with two stock
movements naming the handover; refused when the card is not in stock where it is booked."""

from __future__ import annotations

import pytest

from membercard.cards.states import CardState
from membercard.core.errors import ValidationFailed
from membercard.core.models import Role
from membercard.inventory.errors import CardNotMovable
from membercard.inventory.models import HandoverState, LineStatus, StockMovement
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from membercard.inventory.sheets import handover_sheet_pdf
from membercard.operations import sell_card
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, refused, stock_is_consistent, where
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def s01():
    return f.store("S01")


@pytest.fixture
def shelf(s01):
    """Four consecutive cards in stock at S01."""
    return inv.run_of_cards(f.product(face_values=[10_000]), s01, 4)


def returned_with_a_stray(shelf, stray):
    """S01 sends its first two cards to HQ; HQ scans them and ``stray``, not listed."""
    manager = inv.store_staff("S01")
    handover = draft_handover(manager, f.hq(), shelf[:2])
    dispatch_handover(actor=manager, handover_id=handover.pk)
    scanned = [shelf[0].number, shelf[1].number, stray.number]
    receive_handover(actor=inv.keeper(), handover_id=handover.pk, scanned=scanned)
    handover.refresh_from_db()
    return handover, handover.lines.get(card=stray)


def test_an_unexpected_card_that_arrived_moves_into_the_receivers_stock(keeper, s01, shelf):
    # Given a return to HQ with a card of S01's shelf in the box that was not listed
    handover, line = returned_with_a_stray(shelf, shelf[2])
    assert (handover.state, line.status) == (HandoverState.DISCREPANCY, LineStatus.UNEXPECTED)
    assert where(shelf[2]) == (CardState.IN_STOCK, s01.pk)
    # When HQ settles it as moved
    resolve_line(actor=keeper, line_id=line.pk, outcome="moved", note="it was in the box")
    # Then the card is in HQ's stock, the line says so and the handover is closed
    line.refresh_from_db()
    handover.refresh_from_db()
    assert where(shelf[2]) == (CardState.IN_STOCK, f.hq().pk)
    assert (line.status, line.resolved_by, line.resolution_note) == (
        LineStatus.MOVED,
        keeper.staff,
        "it was in the box",
    )
    assert handover.state == HandoverState.CLOSED
    # And two stock movements name the handover: off S01's shelf, into HQ's stock
    moves = StockMovement.objects.filter(card=shelf[2], handover=handover).order_by("pk")
    assert [(m.event, m.from_location_id, m.to_location_id) for m in moves] == [
        ("handover.moved_out", s01.pk, None),
        ("handover.moved", None, f.hq().pk),
    ]
    stock_is_consistent()
    # And the sheet lists it as unexpected, moved
    sheet = "\n".join(inv.pdf_pages(handover_sheet_pdf(handover)))
    assert shelf[2].number in sheet and "Unexpected, moved into the receiver" in sheet
    assert "Received 2 of 2 cards" in sheet


def test_a_card_sold_since_is_not_moved(keeper, s01, shelf):
    _handover, line = returned_with_a_stray(shelf, shelf[2])
    sell_card(
        actor=inv.store_staff("S01", Role.STORE_CASHIER),
        card_number=shelf[2].number,
        initial_value_minor=10_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    with refused(CardNotMovable, "card_not_movable"):
        resolve_line(actor=keeper, line_id=line.pk, outcome="moved", note="in the box")
    line.refresh_from_db()
    assert (line.status, line.resolved_at) == (LineStatus.UNEXPECTED, None)


def test_a_card_already_in_the_receivers_stock_is_not_moved(keeper, shelf):
    (own,) = inv.run_of_cards(shelf[0].product, f.hq(), 1)
    _handover, line = returned_with_a_stray(shelf, own)
    with refused(CardNotMovable, "card_not_movable") as info:
        resolve_line(actor=keeper, line_id=line.pk, outcome="moved", note="ours")
    assert "already in the receiver's stock" in info.value.message
    # Acknowledging it is still possible
    resolve_line(actor=keeper, line_id=line.pk, outcome="acknowledged", note="ours")


def test_a_card_listed_on_a_draft_is_not_moved(keeper, shelf):
    _handover, line = returned_with_a_stray(shelf, shelf[2])
    draft = draft_handover(inv.store_staff("S01"), f.hq(), [shelf[2]])
    with refused(CardNotMovable, "card_not_movable") as info:
        resolve_line(actor=keeper, line_id=line.pk, outcome="moved", note="in the box")
    assert draft.document_number in info.value.message


def test_only_an_unexpected_line_is_moved(keeper, shelf):
    manager = inv.store_staff("S01")
    handover = draft_handover(manager, f.hq(), shelf[:2])
    dispatch_handover(actor=manager, handover_id=handover.pk)
    receive_handover(actor=keeper, handover_id=handover.pk, scanned=[shelf[0].number])
    missing = handover.lines.get(card=shelf[1])
    with refused(ValidationFailed, "validation_error"):
        resolve_line(actor=keeper, line_id=missing.pk, outcome="moved", note="?")


def test_hq_moves_it_from_the_handover_page(shelf):
    handover, line = returned_with_a_stray(shelf, shelf[2])
    keeper_client = signed_in(Role.HQ_STOCK)
    page = keeper_client.get(f"/stock/handovers/{handover.pk}/").content.decode()
    assert 'value="moved"' in page
    response = keeper_client.post(
        f"/stock/handovers/lines/{line.pk}/resolve/",
        {f"l{line.pk}-outcome": "moved", f"l{line.pk}-note": "in the box"},
    )
    assert response.status_code == 302
    assert where(shelf[2]) == (CardState.IN_STOCK, f.hq().pk)
