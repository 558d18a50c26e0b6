"""Four eyes on stock in a real browser: stock keeper A orders a batch and asks to void a
misprint; keeper B sees both waiting, approves them; the batch exists only then, and A
cannot receive it while B can. Keeper A writes a handover's missing card off as lost;
B approves it."""

from __future__ import annotations

from playwright.sync_api import expect

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.cards.models import Batch, Card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.models import Role
from membercard.inventory.models import HandoverLine, LineStatus
from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from tests import factories as f
from tests.browser.helpers import log_in, staff
from tests.inventory import factories as inv


def test_keeper_a_orders_and_voids_keeper_b_approves(page):
    product = f.product(name="Value card")
    misprint = inv.run_of_cards(product, f.hq(), 1)[0]
    maker, checker = staff(Role.HQ_STOCK, f.hq()), staff(Role.HQ_STOCK, f.hq())

    log_in(page, maker)
    page.goto("/hq/batches/new/")
    page.locator("select[name=product]").select_option(str(product.pk))
    page.locator("input[name=quantity]").fill("12")
    page.get_by_role("button", name="Send the order for approval").click()
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    order = ApprovalRequest.objects.get(kind=RequestKind.BATCH_ORDER)
    expect(page.locator("#preview-quantity")).to_contain_text("12")
    expect(page.locator("#maker-note")).to_be_visible()
    assert not Batch.objects.exists(), "nothing is produced before approval"

    page.goto("/hq/batches/void/")
    page.locator("textarea[name=numbers]").fill(misprint.number)
    page.locator("input[name=reason]").fill("Logo cut off")
    page.get_by_role("button", name="Send the void for approval").click()
    void = ApprovalRequest.objects.get(kind=RequestKind.CARD_VOID)
    expect(page.locator("#void-summary")).to_contain_text("Void 1 card")
    assert Card.objects.get(pk=misprint.pk).state == CardState.IN_STOCK

    page.context.clear_cookies()
    log_in(page, checker)
    page.goto("/approvals/")
    expect(page.locator("#waiting")).to_contain_text("Waiting for my approval: 2")
    page.goto(f"/approvals/{void.pk}/")
    page.locator("#approve-button").click()
    expect(page.locator("#request-state")).to_contain_text("Approved")
    assert Card.objects.get(pk=misprint.pk).state == CardState.VOID
    page.goto(f"/approvals/{order.pk}/")
    page.locator("#approve-button").click()
    expect(page.locator("#preview-batch")).to_be_visible()
    batch = Batch.objects.get()
    assert batch.cards.count() == 12 and batch.created_by == maker

    page.locator("#preview-batch").click()
    page.get_by_role("button", name="Receive into stock").click()
    expect(page.locator("#messages")).to_contain_text("received into stock")


def test_keeper_a_writes_a_card_off_as_lost_keeper_b_approves(page):
    """A missing card settled as lost waits for a second person; the handover shows it."""
    cards = inv.run_of_cards(f.product(name="Value card"), f.hq(), 2)
    maker, checker = staff(Role.HQ_STOCK, f.hq()), staff(Role.HQ_STOCK, f.hq())
    handover = inv.draft_handover(Actor.for_staff(maker), f.store("S01"), cards)
    dispatch_handover(actor=Actor.for_staff(maker), handover_id=handover.pk)
    receive_handover(
        actor=inv.store_staff("S01"), handover_id=handover.pk, scanned=[cards[0].number]
    )
    line = HandoverLine.objects.get(status=LineStatus.MISSING)

    log_in(page, maker)
    page.goto(f"/stock/handovers/{handover.pk}/")
    page.locator(f"select[name=l{line.pk}-outcome]").select_option("lost")
    page.locator(f"input[name=l{line.pk}-note]").fill("The courier lost the parcel")
    page.locator(f"#line-{line.pk}").get_by_role("button", name="Settle").click()
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    expect(page.locator("#loss-summary")).to_contain_text(cards[1].number)
    loss = ApprovalRequest.objects.get(kind=RequestKind.HANDOVER_LOSS)
    assert Card.objects.get(pk=cards[1].pk).state == CardState.IN_TRANSIT
    page.goto(f"/stock/handovers/{handover.pk}/")
    expect(page.locator(f"#loss-request-{line.pk}")).to_contain_text(f"#{loss.pk}")

    page.context.clear_cookies()
    log_in(page, checker)
    page.goto(f"/approvals/{loss.pk}/")
    page.locator("#approve-button").click()
    expect(page.locator("#request-state")).to_contain_text("Approved")
    assert Card.objects.get(pk=cards[1].pk).state == CardState.VOID
