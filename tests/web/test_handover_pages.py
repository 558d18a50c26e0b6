"""Handover pages: the whole flow through the pages (create, list cards, sheet PDF,
dispatch, receive at the store with a card missing, HQ settles it), and who may see and do
what: a store sees only its own handovers, a manager only receives and returns."""

from __future__ import annotations

import pytest
from django.test import Client

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.inventory.models import Handover, HandoverLine, HandoverState, LineStatus
from membercard.inventory.services.handovers import dispatch_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, stock_is_consistent, where
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq_cards():
    """Six consecutive cards in stock at HQ."""
    return inv.run_of_cards(f.product(face_values=[10_000]), f.hq(), 6)


@pytest.fixture
def keeper_client() -> Client:
    return signed_in(Role.HQ_STOCK)


def _manager(code: str) -> Client:
    return signed_in(Role.STORE_MANAGER, f.store(code))


def test_handover_flow_end_to_end_through_the_pages(keeper_client, hq_cards):
    s01 = f.store("S01")
    manager = _manager("S01")

    # HQ makes a draft to S01 ...
    page = keeper_client.get("/stock/handovers/new/")
    assert page.status_code == 200
    once = page.context["once"]
    response = keeper_client.post(
        "/stock/handovers/new/", {"to_location": s01.pk, "note": "weekly", "once": once}
    )
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert response["Location"] == f"/stock/handovers/{handover.pk}/"
    # ... a double submit of the same form makes no second draft.
    again = keeper_client.post(
        "/stock/handovers/new/", {"to_location": s01.pk, "note": "weekly", "once": once}
    )
    assert again["Location"] == f"/stock/handovers/{handover.pk}/"
    assert Handover.objects.count() == 1

    # ... lists four cards as a range and one scanned number, leaving the sixth at HQ.
    first, last = hq_cards[0].number, hq_cards[3].number
    response = keeper_client.post(
        f"/stock/handovers/{handover.pk}/add/",
        {"add-ranges": f"{first} - {last}", "add-numbers": hq_cards[4].number},
    )
    assert response.status_code == 302
    assert handover.lines.count() == 5

    # ... prints the sheet ...
    sheet = keeper_client.get(f"/stock/handovers/{handover.pk}/sheet.pdf")
    assert sheet.status_code == 200
    assert sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    assert handover.document_number in "".join(inv.pdf_pages(sheet.content))

    # ... and dispatches.
    response = keeper_client.post(f"/stock/handovers/{handover.pk}/dispatch/")
    assert response.status_code == 302
    assert where(hq_cards[0])[0] == CardState.IN_TRANSIT

    # The store manager scans four of the five cards that were sent.
    page = manager.get(f"/stock/handovers/{handover.pk}/")
    assert page.status_code == 200
    assert page.context["can_receive"] is True
    arrived = "\n".join(card.number for card in hq_cards[:4])
    response = manager.post(
        f"/stock/handovers/{handover.pk}/receive/", {"receive-numbers": arrived}
    )
    assert response.status_code == 302
    handover.refresh_from_db()
    assert handover.state == HandoverState.DISCREPANCY
    assert where(hq_cards[0]) == (CardState.IN_STOCK, s01.pk)
    missing = handover.lines.get(status=LineStatus.MISSING)
    assert missing.card == hq_cards[4]

    # The manager cannot settle it; HQ can, with a note, and the handover closes.
    refused = manager.post(
        f"/stock/handovers/lines/{missing.pk}/resolve/",
        {f"l{missing.pk}-outcome": "found", f"l{missing.pk}-note": "in the box"},
    )
    assert refused.status_code == 403
    page = keeper_client.get(f"/stock/handovers/{handover.pk}/")
    assert [line.pk for line, _ in page.context["resolving"]] == [missing.pk]
    response = keeper_client.post(
        f"/stock/handovers/lines/{missing.pk}/resolve/",
        {f"l{missing.pk}-outcome": "found", f"l{missing.pk}-note": "found under the counter"},
    )
    assert response.status_code == 302
    handover.refresh_from_db()
    assert handover.state == HandoverState.CLOSED
    assert where(hq_cards[4]) == (CardState.IN_STOCK, s01.pk)
    assert where(hq_cards[5]) == (CardState.IN_STOCK, f.hq().pk)
    stock_is_consistent()


def test_store_manager_of_another_store_gets_404_on_a_handover(keeper_client, hq_cards):
    keeper = inv.keeper()
    handover = draft_handover(keeper, f.store("S01"), hq_cards[:2])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    other = _manager("S02")

    assert other.get(f"/stock/handovers/{handover.pk}/").status_code == 404
    assert other.get(f"/stock/handovers/{handover.pk}/sheet.pdf").status_code == 404
    response = other.post(
        f"/stock/handovers/{handover.pk}/receive/",
        {"receive-numbers": "\n".join(c.number for c in hq_cards[:2])},
    )
    assert response.status_code == 404
    listing = other.get("/stock/handovers/")
    assert handover.document_number.encode() not in listing.content
    handover.refresh_from_db()
    assert handover.state == HandoverState.DISPATCHED
    assert where(hq_cards[0])[0] == CardState.IN_TRANSIT


def test_list_shows_own_handovers_and_filters_by_state(keeper_client, hq_cards):
    keeper = inv.keeper()
    to_s01 = draft_handover(keeper, f.store("S01"), hq_cards[:1])
    to_s02 = draft_handover(keeper, f.store("S02"), hq_cards[1:2])
    dispatch_handover(actor=keeper, handover_id=to_s02.pk)

    everything = keeper_client.get("/stock/handovers/")
    assert {h.pk for h in everything.context["listing"].rows} == {to_s01.pk, to_s02.pk}
    drafts = keeper_client.get("/stock/handovers/?state=draft")
    assert [h.pk for h in drafts.context["listing"].rows] == [to_s01.pk]
    s01_only = _manager("S01").get("/stock/handovers/")
    assert [h.pk for h in s01_only.context["listing"].rows] == [to_s01.pk]


def test_cashier_may_not_open_handovers():
    assert signed_in(Role.STORE_CASHIER).get("/stock/handovers/").status_code == 403


def test_store_manager_cannot_dispatch_an_hq_draft(hq_cards):
    handover = draft_handover(inv.keeper(), f.store("S01"), hq_cards[:1])
    response = _manager("S01").post(f"/stock/handovers/{handover.pk}/dispatch/")
    assert response.status_code == 403
    handover.refresh_from_db()
    assert handover.state == HandoverState.DRAFT


def test_store_manager_returns_cards_to_hq_only():
    f.hq()
    s01 = f.store("S01")
    f.store("S02")
    manager = _manager("S01")
    page = manager.get("/stock/handovers/new/")
    assert [loc.code for loc in page.context["form"].fields["to_location"].queryset] == ["HQ"]
    refused = manager.post("/stock/handovers/new/", {"to_location": f.store("S02").pk})
    assert refused.status_code == 422
    assert "to_location" in refused.context["form"].errors
    assert not Handover.objects.exists()
    cards = inv.run_of_cards(f.product(), s01, 2)
    made = manager.post("/stock/handovers/new/", {"to_location": f.hq().pk})
    assert made.status_code == 302
    handover = Handover.objects.get()
    assert (handover.from_location, handover.to_location) == (s01, f.hq())
    listed = manager.post(
        f"/stock/handovers/{handover.pk}/add/",
        {"add-numbers": "\n".join(c.number for c in cards)},
    )
    assert listed.status_code == 302
    assert handover.lines.count() == 2


def test_listing_a_card_not_in_stock_is_refused_beside_the_field(keeper_client, hq_cards):
    keeper = inv.keeper()
    handover = draft_handover(keeper, f.store("S01"))
    elsewhere = inv.run_of_cards(f.product(), f.store("S02"), 1)[0]
    response = keeper_client.post(
        f"/stock/handovers/{handover.pk}/add/",
        {"add-numbers": f"{hq_cards[0].number}\n{elsewhere.number}"},
    )
    assert response.status_code == 422
    form = response.context["add_form"]
    assert any(elsewhere.number in error for error in form.non_field_errors())
    # What was typed stays in the box; nothing was listed.
    assert hq_cards[0].number.encode() in response.content
    assert not HandoverLine.objects.exists()


def test_a_malformed_range_is_a_field_error(keeper_client):
    handover = draft_handover(inv.keeper(), f.store("S01"))
    response = keeper_client.post(f"/stock/handovers/{handover.pk}/add/", {"add-ranges": "8800 to"})
    assert response.status_code == 422
    assert "ranges" in response.context["add_form"].errors


def test_dispatching_twice_is_refused_clearly(keeper_client, hq_cards):
    handover = draft_handover(inv.keeper(), f.store("S01"), hq_cards[:1])
    assert keeper_client.post(f"/stock/handovers/{handover.pk}/dispatch/").status_code == 302
    again = keeper_client.post(f"/stock/handovers/{handover.pk}/dispatch/")
    assert again.status_code == 409
    assert b"handover_wrong_state" in again.content


def test_resolving_without_a_note_is_a_field_error(keeper_client, hq_cards):
    keeper = inv.keeper()
    handover = draft_handover(keeper, f.store("S01"), hq_cards[:2])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    manager = _manager("S01")
    manager.post(
        f"/stock/handovers/{handover.pk}/receive/", {"receive-numbers": hq_cards[0].number}
    )
    line = HandoverLine.objects.get(status=LineStatus.MISSING)
    response = keeper_client.post(
        f"/stock/handovers/lines/{line.pk}/resolve/",
        {f"l{line.pk}-outcome": "lost", f"l{line.pk}-note": ""},
    )
    assert response.status_code == 422
    forms = dict((ln.pk, form) for ln, form in response.context["resolving"])
    assert "note" in forms[line.pk].errors
    line.refresh_from_db()
    assert line.status == LineStatus.MISSING


def test_a_swiped_bank_card_is_refused_and_never_shown_back(keeper_client, hq_cards):
    handover = draft_handover(inv.keeper(), f.store("S01"))
    visa = "4111111111111111"
    response = keeper_client.post(
        f"/stock/handovers/{handover.pk}/add/",
        {"add-numbers": f"{hq_cards[0].number}\n{visa}"},
    )
    assert response.status_code == 422
    assert visa.encode() not in response.content
    assert b'data-code="payment_card_refused"' in response.content
    assert not HandoverLine.objects.exists()


def test_lost_files_a_request_and_the_line_waits_for_approval(keeper_client, hq_cards):
    """Four eyes: "Lost: void" sends the loss for approval; the line shows the request
    instead of a second form; another stock keeper approves and only then is the card void."""
    keeper = inv.keeper()
    handover = draft_handover(keeper, f.store("S01"), hq_cards[:2])
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    _manager("S01").post(
        f"/stock/handovers/{handover.pk}/receive/", {"receive-numbers": hq_cards[0].number}
    )
    line = HandoverLine.objects.get(status=LineStatus.MISSING)
    page = keeper_client.get(f"/stock/handovers/{handover.pk}/")
    forms = {ln.pk: form for ln, form in page.context["resolving"]}
    key = forms[line.pk].initial["idempotency_key"]
    data = {
        f"l{line.pk}-outcome": "lost",
        f"l{line.pk}-note": "The courier lost the parcel",
        f"l{line.pk}-idempotency_key": key,
    }

    response = keeper_client.post(f"/stock/handovers/lines/{line.pk}/resolve/", data, follow=True)

    request = ApprovalRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/approvals/{request.pk}/"
    assert f"Sent for approval: request #{request.pk}" in response.content.decode()
    assert request.kind == RequestKind.HANDOVER_LOSS
    assert b'id="loss-summary"' in response.content and b'id="maker-note"' in response.content
    assert hq_cards[1].number.encode() in response.content
    line.refresh_from_db()
    assert line.status == LineStatus.MISSING
    assert where(hq_cards[1]) == (CardState.IN_TRANSIT, None)
    # The same form sent again files nothing more.
    again = keeper_client.post(f"/stock/handovers/lines/{line.pk}/resolve/", data)
    assert again["Location"] == f"/approvals/{request.pk}/"
    # The handover shows the line waiting, with a link, and no form to settle it again.
    page = keeper_client.get(f"/stock/handovers/{handover.pk}/").content.decode()
    assert f'id="loss-request-{line.pk}"' in page and f'href="/approvals/{request.pk}/"' in page
    assert f'action="/stock/handovers/lines/{line.pk}/resolve/"' not in page
    # A second request for the line (another keeper, a stale page) is refused clearly.
    other = signed_in(Role.HQ_STOCK)
    refused = other.post(
        f"/stock/handovers/lines/{line.pk}/resolve/",
        {f"l{line.pk}-outcome": "lost", f"l{line.pk}-note": "gone"},
    )
    assert refused.status_code == 409
    assert f"already waits for approval: request #{request.pk}" in refused.content.decode()
    assert ApprovalRequest.objects.count() == 1

    assert other.post(f"/approvals/{request.pk}/approve/", {}).status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.LOST
    assert where(hq_cards[1]) == (CardState.VOID, None)
    handover.refresh_from_db()
    assert handover.state == HandoverState.CLOSED
    stock_is_consistent()
