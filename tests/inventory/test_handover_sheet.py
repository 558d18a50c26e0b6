"""The printed handover sheet (membercard.inventory.sheets): a real PDF, read back with pypdf."""

from __future__ import annotations

import pytest

from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import (
    dispatch_handover,
    receive_handover,
)
from membercard.inventory.sheets import handover_sheet_pdf
from tests import factories as f
from tests.inventory import factories as inv

pytestmark = pytest.mark.django_db


def named(actor, first: str, last: str = ""):
    actor.staff.first_name, actor.staff.last_name = first, last
    actor.staff.save()
    return actor


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_sheet_shows_number_ranges_counts_totals_and_signature_lines():
    # Given a keeper sending two runs of a 100.00 card (cost 2.50) and three cards of a
    # product sold at several face values (cost 1.00)
    keeper = named(inv.keeper(), "Lei", "Li")
    fixed = f.product(name="Gift card", face_values=[10_000], unit_cost_minor=250)
    free = f.product(name="Value card", face_values=[5_000, 10_000], unit_cost_minor=100)
    run_a = inv.run_of_cards(fixed, f.hq(), 5)
    run_b = inv.run_of_cards(fixed, f.hq(), 2)
    run_c = inv.run_of_cards(free, f.hq(), 3)
    handover = inv.draft_handover(keeper, f.store("S01"), run_a + run_b + run_c)
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    handover.refresh_from_db()
    # When the sheet is printed
    (text,) = inv.pdf_pages(handover_sheet_pdf(handover))
    text = flat(text)
    # Then it names the document, both places, the sender, and each range with its count
    assert handover.document_number in text
    assert "HQ Head office" in text and "S01 Store S01" in text
    assert "Lei Li" in text
    for run in (run_a, run_b, run_c):
        assert f"{run[0].number} {run[-1].number} {len(run)}" in text
    # And per product the face value (if the product has one) and card cost totals
    assert "Subtotal Gift card: 2 ranges 7 700.00 CNY 17.50 CNY" in text
    assert "Subtotal Value card: 1 range 3 — 3.00 CNY" in text
    assert "Grand total 10 700.00 CNY * 20.50 CNY" in text
    assert "* Face value total without Value card" in text
    # And signature lines for both parties
    assert "Sender" in text and "Receiver" in text
    assert text.count("Signature") >= 2 and text.count("Date") >= 2
    assert "Page 1 of 1" in text


def test_chinese_names_and_products_print():
    keeper = named(inv.keeper(), "小明", "王")
    shop = f.store("S08")
    shop.name = "南京路店"
    shop.save()
    product = f.product(name="储值卡", face_values=[20_000])
    cards = inv.run_of_cards(product, f.hq(), 2)
    handover = inv.draft_handover(keeper, shop, cards, note="春节备货")
    (text,) = inv.pdf_pages(handover_sheet_pdf(handover))
    for words in ("南京路店", "储值卡", "春节备货", "王", "Draft"):
        assert words in text


def test_a_long_list_runs_on_over_numbered_pages():
    # Given 90 cards that form no runs: 90 ranges of one card
    keeper = inv.keeper()
    cards = inv.run_of_cards(f.product(), f.hq(), 90, step=2)
    handover = inv.draft_handover(keeper, f.store("S01"), cards)
    # When the sheet is printed
    texts = [flat(t) for t in inv.pdf_pages(handover_sheet_pdf(handover))]
    # Then it runs over several pages, each numbered and with the column headings
    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert handover.document_number in text
        assert "First number" in text
    whole = " ".join(texts)
    assert all(card.number in whole for card in cards)
    assert "Grand total 90" in whole
    assert "Signature" in texts[-1]


def test_after_receipt_the_sheet_lists_the_discrepancies_and_their_resolution():
    keeper = inv.keeper()
    manager = named(inv.store_staff("S01"), "Mei", "Han")
    cards = inv.run_of_cards(f.product(), f.hq(), 4)
    stray = inv.run_of_cards(f.product(), f.store("S01"), 1)[0]
    handover = inv.draft_handover(keeper, f.store("S01"), cards[:3])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    scanned = [cards[0].number, cards[1].number, stray.number]
    receive_handover(actor=manager, handover_id=handover.pk, scanned=scanned)
    missing = handover.lines.get(card=cards[2])
    resolve_line(actor=keeper, line_id=missing.pk, outcome="lost", note="dropped in transit")
    handover.refresh_from_db()
    text = flat(" ".join(inv.pdf_pages(handover_sheet_pdf(handover))))
    assert "Received 2 of 3 cards; missing: 1; unexpected: 1." in text
    assert f"{cards[2].number}" in text and "Lost (voided): dropped in transit" in text
    assert f"{stray.number}" in text and "unexpected open" in text
    assert "Mei Han" in text  # the receiver's name on the signature block
