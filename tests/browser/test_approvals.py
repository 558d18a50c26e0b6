"""Four eyes in a real browser: finance A asks for an adjustment on the HQ card page,
finance B approves it from the approvals list; the card's balance changes only then and
the request shows the posted operation."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.core.models import Role
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
