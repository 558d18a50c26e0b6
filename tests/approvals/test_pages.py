"""The four-eyes pages: the HQ card page files requests; the maker sees no Approve button
and is refused a POST; a second person approves; the menu and home page count per role."""

from __future__ import annotations

import re

import pytest

from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.cards.models import Card
from membercard.core.actors import Actor
from membercard.core.models import AuditEvent, Role
from membercard.ledger.models import OperationKind
from tests import factories as f
from tests.approvals.helpers import ask_adjustment, ask_top_up
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(cashier) -> Card:
    return f.sold_card(cashier, value_minor=10_000)


def _adjust(client, card: Card, amount: str = "25.00"):
    data = {
        "bucket": "principal",
        "amount": amount,
        "reason": "Miscount",
        "idempotency_key": f.key(),
    }
    return client.post(f"/hq/cards/{card.number}/adjust/", data, follow=True)


def test_the_card_page_sends_an_adjustment_for_approval(card):
    maker = signed_in(Role.HQ_FINANCE)
    response = _adjust(maker, card)
    request = ApprovalRequest.objects.get()
    assert f'Sent for approval: <a href="/approvals/{request.pk}/">request #{request.pk}</a>' in (
        response.content.decode()
    )
    assert f.balances(card) == (10_000, 0, 0)
    assert not card.operations.filter(kind=OperationKind.ADJUSTMENT).exists()


def test_the_maker_sees_no_approve_button_and_is_refused(card):
    maker = signed_in(Role.HQ_FINANCE)
    _adjust(maker, card)
    request = ApprovalRequest.objects.get()
    page = maker.get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="approve-button"' not in page
    assert 'id="maker-note"' in page
    assert card.number in page and "125.00" in page  # the balance after
    response = maker.post(f"/approvals/{request.pk}/approve/", {"note": ""})
    assert response.status_code == 403
    assert b"own_request" in response.content or b"someone else" in response.content
    request.refresh_from_db()
    assert request.state == RequestState.PENDING
    assert f.balances(card) == (10_000, 0, 0)


def test_a_second_person_approves_and_the_request_shows_the_operation(card):
    _adjust(signed_in(Role.HQ_FINANCE), card)
    request = ApprovalRequest.objects.get()
    checker = signed_in(Role.HQ_ADMIN)
    assert 'id="approve-button"' in checker.get(f"/approvals/{request.pk}/").content.decode()
    response = checker.post(f"/approvals/{request.pk}/approve/", {"note": "ok"}, follow=True)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert f.balances(card) == (12_500, 0, 0)
    page = response.content.decode()
    assert request.operation.receipt_number in page
    assert 'id="approve-button"' not in page


def test_a_rejection_needs_a_note(card):
    _adjust(signed_in(Role.HQ_FINANCE), card)
    request = ApprovalRequest.objects.get()
    checker = signed_in(Role.HQ_FINANCE)
    response = checker.post(f"/approvals/{request.pk}/reject/", {"note": ""})
    assert response.status_code == 422
    assert b"field-error" in response.content or b"alert error" in response.content
    checker.post(f"/approvals/{request.pk}/reject/", {"note": "No evidence"})
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert f.balances(card) == (10_000, 0, 0)


def test_lists_menu_and_home_count_per_role(card):
    maker = signed_in(Role.HQ_FINANCE)
    ask_adjustment(Actor.for_staff(maker.staff), card)
    ask_adjustment(Actor.for_staff(maker.staff), card)
    admin, other_finance = signed_in(Role.HQ_ADMIN), signed_in(Role.HQ_FINANCE)
    for client in (admin, other_finance):
        home = client.get("/").content.decode()
        assert "2 requests wait for your approval" in home
        assert "Approvals (2)" in home  # the menu entry
        listing = client.get("/approvals/").content.decode()
        assert "Waiting for my approval: 2" in listing
    # The maker waits for others: nothing waits for them, their requests are listed
    assert "wait for your approval" not in maker.get("/").content.decode()
    mine = maker.get("/approvals/").content.decode()
    assert "Waiting for my approval: 0" in mine
    assert len(re.findall(r'href="/approvals/\d+/"', mine)) == 2
    approved = maker.get("/approvals/?state=approved").content.decode()
    assert not re.findall(r'href="/approvals/\d+/"', approved)
    # A stock keeper decides voids and batch orders only: no count for adjustments
    stock = signed_in(Role.HQ_STOCK)
    assert "wait for your approval" not in stock.get("/").content.decode()
    assert "Waiting for my approval: 0" in stock.get("/approvals/").content.decode()
    # Roles that decide nothing at HQ get no page
    assert signed_in(Role.STORE_CASHIER).get("/approvals/").status_code == 403


def test_a_thresholds_change_is_filed_by_the_admin_and_approved_by_another(card):
    admin = signed_in(Role.HQ_ADMIN)
    data = {
        "adjustment_minor": "50.00",
        "points_adjustment": "100",
        "hq_top_up_minor": "500.00",
        "lifetime_hours": "24",
        "idempotency_key": f.key(),
    }
    response = admin.post("/hq/approval-thresholds/", data)
    request = ApprovalRequest.objects.get(kind="thresholds")
    assert response.status_code == 302
    assert admin.post(f"/approvals/{request.pk}/approve/", {}).status_code == 403
    finance = signed_in(Role.HQ_FINANCE)
    assert b'id="thresholds-form"' not in finance.get("/hq/approval-thresholds/").content
    finance.post(f"/approvals/{request.pk}/approve/", {})
    page = finance.get("/hq/approval-thresholds/").content.decode()
    assert "500.00" in page
    # Now an adjustment under 50.00 posts at once from the card page
    _adjust(finance, card, amount="49.99")
    assert f.balances(card) == (14_999, 0, 0)


def test_request_and_approval_are_audited_inside_their_transactions(card):
    maker = signed_in(Role.HQ_FINANCE)
    _adjust(maker, card)
    request = ApprovalRequest.objects.get()
    filed = AuditEvent.objects.get(what="web:card-adjust")
    assert filed.details["outcome"] == "committed"
    assert filed.details["result"] == f"ApprovalRequest {request.pk}"
    signed_in(Role.HQ_ADMIN).post(f"/approvals/{request.pk}/approve/", {"note": "ok"})
    request.refresh_from_db()
    approved = AuditEvent.objects.get(what="web:approval-approve")
    assert approved.details["outcome"] == "committed"
    assert approved.details["result"] == f"Operation {request.operation_id}"
    maker.post(f"/approvals/{request.pk}/reject/", {"note": "mine"})
    refused = AuditEvent.objects.get(what="web:approval-reject")
    assert refused.status == 403


def test_the_refund_threshold_is_set_on_the_thresholds_page():
    admin = signed_in(Role.HQ_ADMIN)
    data = {
        "adjustment_minor": "0.00",
        "points_adjustment": "0",
        "hq_top_up_minor": "500.00",
        "refund_minor": "30.00",
        "lifetime_hours": "48",
        "idempotency_key": f.key(),
    }
    assert admin.post("/hq/approval-thresholds/", data).status_code == 302
    request = ApprovalRequest.objects.get(kind="thresholds")
    assert request.payload["refund_minor"] == 3_000
    finance = signed_in(Role.HQ_FINANCE)
    assert "30.00" in finance.get(f"/approvals/{request.pk}/").content.decode()
    finance.post(f"/approvals/{request.pk}/approve/", {})
    page = finance.get("/hq/approval-thresholds/").content.decode()
    assert re.search(r"id=\"current-refund-threshold\">[^<]*30\.00", page)


def test_the_request_page_shows_the_tender_by_its_label(card, settings):
    settings.MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD = 40_000
    request = ask_top_up(f.actor(Role.HQ_FINANCE), card, tender="bank_card")
    assert request.preview["tender"] == "bank_card"

    page = signed_in(Role.HQ_ADMIN).get(f"/approvals/{request.pk}/").content.decode()

    assert '<span id="preview-tender">Bank card</span>' in page
    assert "bank_card" not in page
