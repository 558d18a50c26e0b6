"""Blind count (membercard.inventory.handover_queries.list_hidden): a receiving store counts
what arrived without the expected list. Its sheet shows how many cards of each product are
coming, never their numbers; the receipt refuses unreadable input before it looks at any
card, so the list cannot be probed. The sender and HQ see everything."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.inventory import handover_queries as q
from membercard.inventory.errors import HandoverCardsRefused
from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from membercard.inventory.sheets import handover_sheet_pdf
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, pdf_pages, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def s01():
    return f.store("S01")


@pytest.fixture
def cards():
    """Five consecutive cards at HQ, of a product with one face value."""
    return inv.run_of_cards(f.product(name="Gold card", face_values=[10_000]), f.hq(), 5)


def sent(keeper, to, cards_):
    handover = draft_handover(keeper, to, cards_)
    return dispatch_handover(actor=keeper, handover_id=handover.pk)


def test_the_receiving_store_is_blind_until_it_confirms(keeper, s01, cards):
    manager = inv.store_staff("S01")
    draft = draft_handover(keeper, s01, cards)
    # Even a draft to the store is not the store's to read
    assert q.list_hidden(manager, draft)
    handover = dispatch_handover(actor=keeper, handover_id=draft.pk)
    # The sender and any other HQ role see the list; the receiving store does not
    assert not q.list_hidden(keeper, handover)
    assert not q.list_hidden(inv.keeper(Role.HQ_ADMIN), handover)
    assert q.list_hidden(manager, handover)
    # Once it has confirmed what arrived, the store sees everything
    receive_handover(actor=manager, handover_id=handover.pk, scanned=[cards[0].number])
    handover.refresh_from_db()
    assert not q.list_hidden(manager, handover)


def test_hq_receiving_from_a_store_sees_the_list(s01):
    manager = inv.store_staff("S01")
    own = inv.run_of_cards(f.product(), s01, 2)
    handover = draft_handover(manager, f.hq(), own)
    dispatch_handover(actor=manager, handover_id=handover.pk)
    handover.refresh_from_db()
    assert not q.list_hidden(manager, handover)  # the sender
    assert not q.list_hidden(inv.keeper(), handover)  # HQ, the receiver, sees everything


def test_the_blind_sheet_has_counts_and_products_but_no_numbers(keeper, s01, cards):
    handover = sent(keeper, s01, cards)

    blind = "\n".join(pdf_pages(handover_sheet_pdf(handover, blind=True)))
    full = "\n".join(pdf_pages(handover_sheet_pdf(handover)))

    assert "Gold card" in blind and "Grand total" in blind and "Blind count" in blind
    assert all(card.number not in blind for card in cards)
    assert cards[0].number in full and cards[-1].number in full
    assert "Blind count" not in full


def test_a_receipt_refuses_unreadable_input_before_looking_at_any_card(keeper, s01, cards):
    # Given a handover of the first three cards on its way to S01
    handover = sent(keeper, s01, cards[:3])
    manager = inv.store_staff("S01")
    answers = []
    # When the receiver pairs an unreadable entry with a range that holds listed cards,
    # then with one that holds none
    for first, last in [(cards[0].number, cards[2].number), (cards[3].number, cards[4].number)]:
        with refused(HandoverCardsRefused, "handover_cards_refused") as info:
            receive_handover(
                actor=manager, handover_id=handover.pk, scanned=["hello"], ranges=[(first, last)]
            )
        answers.append(info.value.extra["problems"])
    # Then both answers are the same: only the unreadable entry, nothing about the list
    assert answers[0] == answers[1]
    assert [p["code"] for p in answers[0]] == ["unreadable_input"]
