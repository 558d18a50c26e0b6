"""Four eyes in a real browser: finance A asks for an adjustment on the HQ card page,
finance B approves it from the approvals list; the card's balance changes only then and
the request shows the posted operation. A cashier's refund above the threshold is approved
by the store manager at the counter."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.core.actors import Actor
from membercard.core.models import Role
from membercard.operations import purchase
from tests import factories as f
from tests.browser.helpers import log_in, staff


def test_finance_a_requests_and_finance_b_approves_an_adjustment(page):
    card = f.sold_card(f.actor(Role.STORE_MANAGER, f.store()), f.product(), 10_000)
    maker, checker = staff(Role.HQ_FINANCE), staff(Role.HQ_FINANCE)

    log_in(page, maker)
    page.goto(f"/hq/cards/{card.number}/")
    adjust = page.locator("#adjust")
    adjust.locator("select[name=bucket]").select_option("principal")
    adjust.locator("input[name=amount]").fill("30.00")
    adjust.locator("textarea[name=reason]").fill("Refund paid in cash by mistake")
    adjust.locator("button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Sent for approval")
    request = ApprovalRequest.objects.get()
    assert f.balances(card) == (10_000, 0, 0), "nothing moves before approval"

    page.goto(f"/approvals/{request.pk}/")
    expect(page.locator("#maker-note")).to_be_visible()
    expect(page.locator("#approve-button")).to_have_count(0)

    page.context.clear_cookies()
    log_in(page, checker)
    expect(page.locator("#approvals-waiting")).to_contain_text("1 request waits")
    page.goto("/approvals/")
    page.locator("#waiting-table").get_by_role("link", name=f"#{request.pk}").click()
    expect(page.locator("#preview-value-after")).to_contain_text("130.00")
    page.locator("#approve-button").click()

    expect(page.locator("#request-state")).to_contain_text("Approved")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert f.balances(card) == (13_000, 0, 0)
    expect(page.locator("#request-operation")).to_contain_text(
        re.compile(re.escape(request.operation.receipt_number))
    )


def test_a_cashiers_large_refund_is_approved_by_the_manager_at_the_counter(page, settings):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = 1_000
    store = f.store()
    cashier, manager = staff(Role.STORE_CASHIER, store), staff(Role.STORE_MANAGER, store)
    seller = Actor.for_staff(cashier)
    card = f.sold_card(seller, f.product(), 10_000)
    bought = purchase(
        actor=seller, card_number=card.number, amount_minor=4_000, idempotency_key=f.key()
    )

    log_in(page, cashier)
    page.goto(f"/counter/refund/?operation={bought.pk}")
    page.locator("input[name=amount]").fill("25.00")
    page.locator("input[name=reason]").fill("Wrong size")
    page.locator("#refund-submit").click()
    request = ApprovalRequest.objects.get(kind="refund")
    expect(page.locator("#messages")).to_contain_text(
        f"Sent to a manager for approval: request #{request.pk}"
    )
    assert f.balances(card) == (6_000, 0, 0), "nothing is refunded before approval"

    page.context.clear_cookies()
    log_in(page, manager)
    page.goto("/counter/")
    page.get_by_role("link", name="Waiting for approval (1)").click()
    page.locator("#waiting-table").get_by_role("link", name=f"#{request.pk}").click()
    expect(page.locator("#refund-of")).to_contain_text(bought.receipt_number)
    expect(page.locator("#preview-value-after")).to_contain_text("85.00")
    page.locator("#approve-button").click()

    expect(page.locator("#request-state")).to_contain_text("Approved")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.operation.staff == cashier  # the cashier refunded; the manager approved
    assert f.balances(card) == (8_500, 0, 0)
