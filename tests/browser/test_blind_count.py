"""The receiving store's blind count in a real browser: the manager opens a handover on its
way, sees how many cards of which product are coming but no number, scans two of the three
that arrived and confirms; only then does the page list the cards and the missing one."""

from __future__ import annotations

from playwright.sync_api import expect

from membercard.core.actors import Actor
from membercard.core.models import Role
from membercard.inventory.models import HandoverState
from membercard.inventory.services.handovers import dispatch_handover
from tests import factories as f
from tests.browser.helpers import log_in, staff
from tests.inventory import factories as inv


def test_the_store_counts_blind_and_sees_the_differences_after_confirming(page):
    cards = inv.run_of_cards(f.product(name="Gold card", face_values=[10_000]), f.hq(), 3)
    keeper = Actor.for_staff(staff(Role.HQ_STOCK, f.hq()))
    handover = inv.draft_handover(keeper, f.store("S01"), cards)
    dispatch_handover(actor=keeper, handover_id=handover.pk)

    log_in(page, staff(Role.STORE_MANAGER, f.store("S01")))
    page.goto(f"/stock/handovers/{handover.pk}/")
    expect(page.locator("#list-hidden")).to_be_visible()
    expect(page.locator("#blind-count")).to_contain_text("Blind count")
    expect(page.locator("main")).to_contain_text("Gold card")
    content = page.content()
    assert all(card.number not in content for card in cards)

    page.locator("textarea[name=receive-numbers]").fill(f"{cards[0].number}\n{cards[1].number}")
    page.get_by_role("button", name="Confirm what arrived").click()
    expect(page.locator("#messages")).to_contain_text("Received with discrepancies")
    expect(page.locator("#list-hidden")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(cards[2].number)
    expect(page.locator("main")).to_contain_text("Missing at receipt")
    handover.refresh_from_db()
    assert handover.state == HandoverState.DISCREPANCY
