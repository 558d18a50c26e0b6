"""Blind count through the pages: before it confirms what arrived, the receiving store's
handover page and sheet show how many cards of each product are coming, not their numbers
or ranges, nor does any other page it may open (its stock, its ranges, the batch files);
the sender and HQ see the list; after the receipt the store sees it too."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.inventory.services.handovers import dispatch_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def coming():
    """Four consecutive cards of the "Gold card" product, on their way from HQ to S01."""
    cards = inv.run_of_cards(f.product(name="Gold card", face_values=[10_000]), f.hq(), 4)
    keeper = inv.keeper()
    handover = draft_handover(keeper, f.store("S01"), cards)
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    return handover, cards


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _pdf(response) -> str:
    assert response.status_code == 200
    return "\n".join(inv.pdf_pages(response.content))


def test_the_receiving_store_reads_counts_not_numbers_until_it_confirms(coming):
    handover, cards = coming
    manager = signed_in(Role.STORE_MANAGER, f.store("S01"))
    page = _text(manager.get(f"/stock/handovers/{handover.pk}/"))
    sheet = _pdf(manager.get(f"/stock/handovers/{handover.pk}/sheet.pdf"))
    elsewhere = [
        _text(manager.get(url))
        for url in (
            "/stock/",
            f"/stock/ranges/?product={cards[0].product_id}",
            "/stock/handovers/",
            "/stock/stocktakes/",
        )
    ]
    # The products and the count, never a number, and the receive form is there
    assert "Gold card" in page and 'id="list-hidden"' in page and 'id="blind-count"' in page
    assert "Gold card" in sheet and "Blind count" in sheet
    for text in [page, sheet, *elsewhere]:
        assert all(card.number not in text for card in cards)
    assert manager.get("/hq/batches/1/cards.csv").status_code == 403
    # Once it has confirmed (one card missing), it reads the list and the differences
    scanned = "\n".join(card.number for card in cards[:3])
    response = manager.post(
        f"/stock/handovers/{handover.pk}/receive/", {"receive-numbers": scanned}
    )
    assert response.status_code == 302
    after = _text(manager.get(f"/stock/handovers/{handover.pk}/"))
    sheet = _pdf(manager.get(f"/stock/handovers/{handover.pk}/sheet.pdf"))
    assert all(card.number in after for card in cards)
    assert cards[3].number in sheet and "missing: 1" in sheet
    assert 'id="list-hidden"' not in after


@pytest.mark.parametrize("role", [Role.HQ_STOCK, Role.HQ_ADMIN])
def test_hq_reads_the_list_of_a_handover_on_its_way(coming, role):
    handover, cards = coming
    client = signed_in(role)
    page = _text(client.get(f"/stock/handovers/{handover.pk}/"))
    sheet = _pdf(client.get(f"/stock/handovers/{handover.pk}/sheet.pdf"))
    assert all(card.number in page for card in cards)
    assert cards[0].number in sheet and "Blind count" not in sheet
