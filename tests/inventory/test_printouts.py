"""The handover sheet and the batch proof sheet for people: money as money, in the staff
member's language (English or Simplified Chinese), fonts embedded, and the sheet's totals
on the same page as the signatures."""

from __future__ import annotations

import pytest
from django.utils import translation

from membercard.core.models import Role
from membercard.inventory.exports import batch_proof_pdf
from membercard.inventory.services.handovers import dispatch_handover
from membercard.inventory.sheets import handover_sheet_pdf
from tests import factories as f
from tests.inventory import factories as inv
from tests.printouts import assert_fonts_embedded, needs_font_files, page_texts
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """A dispatched handover of 48 cards worth 100.00 each (cost 2.50): 4,800.00 in all."""
    keeper = inv.keeper()
    product = f.product(name="储值卡", face_values=[10_000], unit_cost_minor=250)
    handover = inv.draft_handover(keeper, f.store("S01"), inv.run_of_cards(product, f.hq(), 48))
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    handover.refresh_from_db()
    return handover


def test_the_sheet_shows_money_as_money(sent):
    (text,) = page_texts(handover_sheet_pdf(sent))
    assert "4,800.00 CNY" in text and "120.00 CNY" in text
    # (the card numbers are left out: a run of them may hold the digits 480000)
    for number in sent.lines.values_list("card__number", flat=True):
        text = text.replace(number, "")
    assert "480000" not in text


def test_a_chinese_staff_member_prints_the_sheet_in_chinese(sent):
    client = signed_in(Role.HQ_STOCK)
    client.staff.language = "zh-hans"
    client.staff.save()

    response = client.get(f"/stock/handovers/{sent.pk}/sheet.pdf")

    (text,) = page_texts(response.content)
    for heading in ("卡片交接单", "起始卡号", "结束卡号", "总计", "合计与签字", "交付方", "接收方"):
        assert heading in text, heading
    assert "签字" in text and "第 1 页，共 1 页" in text  # noqa: RUF001 (Chinese punctuation)
    assert "4,800.00 CNY" in text
    assert "Grand total" not in text and "Signature" not in text


def test_an_english_staff_member_prints_it_in_english(sent):
    with translation.override("en"):
        (text,) = page_texts(handover_sheet_pdf(sent))
    assert "Card handover sheet" in text and "Grand total" in text
    assert "交接单" not in text


def test_the_totals_are_on_the_page_of_the_signatures():
    # Given a sheet of 20 one-card ranges: the cards table fills most of page 1, so the
    # signature block goes over to page 2
    keeper = inv.keeper()
    product = f.product(face_values=[10_000], unit_cost_minor=250)
    cards = inv.run_of_cards(product, f.hq(), 20, step=2)
    handover = inv.draft_handover(keeper, f.store("S01"), cards)
    # When it is printed
    pages = page_texts(handover_sheet_pdf(handover))
    # Then the page with the signatures also carries the totals both parties sign for
    (signed,) = [text for text in pages if "Signature" in text]
    assert "Totals and signatures" in signed
    assert "Cards Face value Card cost 20 2,000.00 CNY 50.00 CNY" in signed


@needs_font_files
def test_the_sheet_embeds_every_font_in_both_languages(sent):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert_fonts_embedded(handover_sheet_pdf(sent))


def test_the_proof_sheet_shows_the_unit_cost_as_money_and_speaks_chinese():
    keeper = inv.keeper()
    batch = inv.order_batch(keeper, f.product(name="金卡"), 3, unit_cost_minor=250)
    (english,) = page_texts(batch_proof_pdf(batch))
    with translation.override("zh-hans"):
        (chinese,) = page_texts(batch_proof_pdf(batch))
    assert "Unit cost: 2.50 CNY" in english and "minor units" not in english
    assert f"卡片校样单 {batch.document_number}" in chinese
    assert "单张成本：2.50 CNY" in chinese  # noqa: RUF001 (Chinese punctuation)
    assert "第 1 页，共 1 页" in chinese  # noqa: RUF001


@needs_font_files
def test_the_proof_sheet_embeds_every_font():
    batch = inv.order_batch(inv.keeper(), f.product(name="金卡 Gold"), 3)
    with translation.override("zh-hans"):
        assert_fonts_embedded(batch_proof_pdf(batch))
