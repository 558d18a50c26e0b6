"""A store receiving from HQ scans a card that is not on the handover and not in its scope
(issue #16): an *unexpected entry*, the same for any number (no oracle of HQ's stock, issue
#13). HQ checks it: moves the card into the store's stock if it is in stock at HQ, else
acknowledges a misread. The store sees its own entry masked; HQ sees it in full."""

from __future__ import annotations

import pytest

from membercard.cards.models import Card
from membercard.cards.states import CardState
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

MASKED = "•••• {}"


@pytest.fixture
def s01():
    return f.store("S01")


@pytest.fixture
def hq_stock():
    """Four consecutive cards in stock at HQ."""
    return inv.run_of_cards(f.product(face_values=[10_000]), f.hq(), 4)


def received_with(hq_stock, s01, *scanned: str):
    """HQ sends its first two cards to S01; S01 scans them and ``scanned``."""
    keeper = inv.keeper()
    handover = draft_handover(keeper, s01, hq_stock[:2])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    numbers = [hq_stock[0].number, hq_stock[1].number, *scanned]
    receive_handover(actor=inv.store_staff("S01"), handover_id=handover.pk, scanned=numbers)
    handover.refresh_from_db()
    return handover


def test_an_unlisted_hq_card_is_an_entry_that_hq_moves_into_the_stores_stock(keeper, s01, hq_stock):
    # Given S01 scanning, besides the two listed cards, an HQ card that was not listed
    stray = hq_stock[2]
    handover = received_with(hq_stock, s01, stray.number)
    # Then it is an unexpected entry: no card attached, the card untouched at HQ
    assert handover.state == HandoverState.DISCREPANCY
    entry = handover.lines.get(card=None)
    assert (entry.entry_kind, entry.entry_number, entry.status) == (
        "number",
        stray.number,
        LineStatus.UNEXPECTED,
    )
    assert where(stray) == (CardState.IN_STOCK, f.hq().pk)
    # When HQ moves it
    resolve_line(actor=keeper, line_id=entry.pk, outcome="moved", note="it was in the box")
    # Then the card joins the line and S01's stock, and the handover is closed
    entry.refresh_from_db()
    handover.refresh_from_db()
    assert (entry.card, entry.status, entry.entry_number) == (stray, LineStatus.MOVED, stray.number)
    assert where(stray) == (CardState.IN_STOCK, s01.pk)
    assert handover.state == HandoverState.CLOSED
    moves = StockMovement.objects.filter(card=stray, handover=handover).order_by("pk")
    assert [(m.event, m.from_location_id, m.to_location_id) for m in moves] == [
        ("handover.moved_out", f.hq().pk, None),
        ("handover.moved", None, s01.pk),
    ]
    stock_is_consistent()


def test_a_made_up_entry_can_only_be_acknowledged(keeper, s01, hq_stock):
    made_up = inv.number(hq_stock[0].product, 99_999_999)
    handover = received_with(hq_stock, s01, made_up)
    entry = handover.lines.get(card=None)
    # No card with that number at the sender: nothing to move
    with refused(CardNotMovable, "card_not_movable") as info:
        resolve_line(actor=keeper, line_id=entry.pk, outcome="moved", note="in the box?")
    assert "misread" in info.value.message
    resolve_line(actor=keeper, line_id=entry.pk, outcome="acknowledged", note="misread")
    entry.refresh_from_db()
    handover.refresh_from_db()
    assert (entry.card, entry.status, entry.resolution_note) == (None, "unexpected", "misread")
    assert handover.state == HandoverState.CLOSED
    stock_is_consistent()


def test_an_entry_whose_card_was_sold_since_is_not_moved(keeper, s01, hq_stock):
    stray = hq_stock[2]
    handover = received_with(hq_stock, s01, stray.number)
    entry = handover.lines.get(card=None)
    sell_card(
        actor=f.actor(Role.HQ_ADMIN, f.hq()),
        card_number=stray.number,
        initial_value_minor=10_000,
        tender="cash",
        idempotency_key=f.key(),
    )
    with refused(CardNotMovable, "card_not_movable"):
        resolve_line(actor=keeper, line_id=entry.pk, outcome="moved", note="in the box")
    entry.refresh_from_db()
    assert (entry.card, entry.resolved_at) == (None, None)


def test_another_stores_card_is_no_card_at_the_sender(keeper, s01, hq_stock):
    (s02_card,) = inv.run_of_cards(hq_stock[0].product, f.store("S02"), 1)
    handover = received_with(hq_stock, s01, s02_card.number, s02_card.number)
    (entry,) = handover.lines.filter(card=None)  # scanned twice: one entry
    with refused(CardNotMovable, "card_not_movable"):
        resolve_line(actor=keeper, line_id=entry.pk, outcome="moved", note="?")
    assert where(s02_card) == (CardState.IN_STOCK, f.store("S02").pk)


def test_the_store_sees_its_entry_masked_and_hq_in_full(s01, hq_stock):
    stray = hq_stock[2]
    handover = received_with(hq_stock, s01, stray.number)
    entry = handover.lines.get(card=None)
    masked = MASKED.format(stray.number[-4:])
    url = f"/stock/handovers/{handover.pk}/"
    # The store: its typing masked, on the page and on the sheet
    store = signed_in(Role.STORE_MANAGER, s01)
    page = store.get(url).content.decode()
    assert masked in page and stray.number not in page
    sheet = "\n".join(inv.pdf_pages(store.get(f"{url}sheet.pdf").content))
    assert f"**** {stray.number[-4:]}" in sheet and stray.number not in sheet
    # HQ: the entry in full, told that the card is at the sender, offered moved
    hq = signed_in(Role.HQ_STOCK)
    page = hq.get(url).content.decode()
    assert stray.number in page
    assert "A card with this number is in stock at the sender." in page
    assert f'name="l{entry.pk}-outcome"' in page and 'value="moved"' in page
    assert stray.number in "\n".join(inv.pdf_pages(handover_sheet_pdf(handover, full_entries=True)))
    # Once HQ has moved it, the card is the store's: its number is shown
    hq.post(
        f"/stock/handovers/lines/{entry.pk}/resolve/",
        {f"l{entry.pk}-outcome": "moved", f"l{entry.pk}-note": "in the box"},
    )
    assert stray.number in store.get(url).content.decode()


def test_hq_is_offered_acknowledged_only_for_a_misread(s01, hq_stock):
    made_up = inv.number(hq_stock[0].product, 99_999_998)
    handover = received_with(hq_stock, s01, made_up)
    page = signed_in(Role.HQ_STOCK).get(f"/stock/handovers/{handover.pk}/").content.decode()
    assert made_up in page and "No such card at the sender: a misread." in page
    assert 'value="acknowledged"' in page and 'value="moved"' not in page


def test_the_receipt_message_counts_the_entries_whatever_they_are(s01, hq_stock):
    keeper = inv.keeper()
    handover = draft_handover(keeper, s01, hq_stock[:1])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    made_up = inv.number(hq_stock[0].product, 99_999_997)
    response = signed_in(Role.STORE_MANAGER, s01).post(
        f"/stock/handovers/{handover.pk}/receive/",
        {"receive-numbers": f"{hq_stock[0].number}\n{hq_stock[3].number}\n{made_up}"},
        follow=True,
    )
    text = response.content.decode()
    assert "2 entries are not on this handover; headquarters checks them." in text
    assert hq_stock[3].number not in text and made_up not in text


def test_an_rfid_tap_is_an_entry_by_its_uid(keeper, s01, hq_stock):
    # Given an unlisted HQ card with an RFID UID, tapped at S01 (decimal 12345678 = 00BC614E)
    stray = hq_stock[2]
    Card.objects.filter(pk=stray.pk).update(uid="00BC614E")
    handover = received_with(hq_stock, s01, "0012345678")
    entry = handover.lines.get(card=None)
    assert (entry.entry_kind, entry.entry_number) == ("uid", "00BC614E")
    assert entry.number_shown(full=False) == "UID •••• 614E"
    # When HQ moves it, the card the UID names joins the line and S01's stock
    resolve_line(actor=keeper, line_id=entry.pk, outcome="moved", note="tapped in the box")
    entry.refresh_from_db()
    assert entry.card == stray and where(stray) == (CardState.IN_STOCK, s01.pk)
    stock_is_consistent()
