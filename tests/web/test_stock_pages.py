"""Card production and stock pages: batches (order, import, export, receive, cancel, void),
HQ stock and a store's own stock, stocktakes (start, count numbers and ranges, missing and
unexpected, confirm); refusals by role and location; field-level errors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.cards.models import Batch, BatchStatus, Card
from membercard.cards.states import CardState
from membercard.core.models import Role
from membercard.inventory.models import Stocktake, StocktakeCount, StocktakeState
from membercard.inventory.services.handovers import dispatch_handover
from membercard.inventory.services.stocktakes import start_stocktake
from tests import factories as f
from tests.approvals.helpers import approved
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, stock_is_consistent
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper_client():
    f.hq()
    return signed_in(Role.HQ_STOCK)


# Batches -----------------------------------------------------------------------------------


def test_keeper_orders_a_batch_once_even_if_the_form_is_sent_twice(keeper_client):
    """Four eyes: the order is a request; the batch is made once someone else approves."""
    product = f.product(unit_cost_minor=150)
    page = keeper_client.get("/hq/batches/new/")
    data = {
        "product": product.pk,
        "quantity": "7",
        "supplier": "ACME",
        "once": page.context["once"],
        "idempotency_key": page.context["form"].initial["idempotency_key"],
    }
    response = keeper_client.post("/hq/batches/new/", data)
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert response["Location"] == f"/approvals/{request.pk}/"
    assert (request.kind, request.state) == (RequestKind.BATCH_ORDER, RequestState.PENDING)
    assert not Batch.objects.exists() and not Card.objects.exists()
    again = keeper_client.post("/hq/batches/new/", data)
    assert again["Location"] == f"/approvals/{request.pk}/"
    assert ApprovalRequest.objects.count() == 1
    # The maker's request page shows the order and no Approve button.
    shown = keeper_client.get(f"/approvals/{request.pk}/")
    assert b'id="maker-note"' in shown.content and b'id="approve-button"' not in shown.content
    assert b"ACME" in shown.content

    # Another stock keeper approves it on the page: the batch is made, ordered by the maker.
    checker = signed_in(Role.HQ_STOCK)
    assert checker.post(f"/approvals/{request.pk}/approve/", {}).status_code == 302
    batch = Batch.objects.get()
    assert (batch.quantity, batch.unit_cost_minor, batch.supplier) == (7, 150, "ACME")
    assert batch.created_by.username == response.wsgi_request.user.username
    assert batch.cards.filter(state=CardState.PRODUCED).count() == 7
    # The orderer cannot receive it; the checker can.
    assert keeper_client.post(f"/hq/batches/{batch.pk}/receive/").status_code == 403
    assert checker.post(f"/hq/batches/{batch.pk}/receive/").status_code == 302


def test_a_batch_quantity_out_of_bounds_is_a_field_error(keeper_client):
    product = f.product()
    for quantity in ("0", "-3", "200001", "many"):
        response = keeper_client.post(
            "/hq/batches/new/", {"product": product.pk, "quantity": quantity}
        )
        assert response.status_code == 422
        assert "quantity" in response.context["form"].errors
    assert not Batch.objects.exists()


def test_batch_exports_receive_and_list(keeper_client):
    product = f.product()
    batch = inv.order_batch(inv.keeper(), product, 3)
    csv = keeper_client.get(f"/hq/batches/{batch.pk}/cards.csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("number,")
    assert len(lines) == 4
    proof = keeper_client.get(f"/hq/batches/{batch.pk}/proof.pdf")
    assert proof.content.startswith(b"%PDF")

    assert keeper_client.post(f"/hq/batches/{batch.pk}/receive/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RECEIVED
    assert batch.cards.filter(state=CardState.IN_STOCK, location=f.hq()).count() == 3
    again = keeper_client.post(f"/hq/batches/{batch.pk}/receive/")
    assert again.status_code == 409
    listing = keeper_client.get("/hq/batches/?status=received")
    assert [b.pk for b in listing.context["listing"].rows] == [batch.pk]
    assert keeper_client.get("/hq/batches/?status=ordered").context["listing"].rows == []
    stock_is_consistent()


def test_cancelling_a_batch_needs_a_reason_and_a_second_person(keeper_client):
    """Four eyes: the cancellation is a request; the batch page shows it waiting instead of
    a second form; another stock keeper approves it and the cards become void."""
    batch = inv.order_batch(inv.keeper(), f.product(), 2)
    response = keeper_client.post(f"/hq/batches/{batch.pk}/cancel/", {"reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["cancel_form"].errors
    assert not ApprovalRequest.objects.exists()
    page = keeper_client.get(f"/hq/batches/{batch.pk}/")
    key = page.context["cancel_form"].initial["idempotency_key"]
    data = {"reason": "never paid", "idempotency_key": key}
    response = keeper_client.post(f"/hq/batches/{batch.pk}/cancel/", data)
    request = ApprovalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/approvals/{request.pk}/"
    assert (request.kind, request.state) == (RequestKind.BATCH_CANCEL, RequestState.PENDING)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ORDERED
    assert batch.cards.filter(state=CardState.PRODUCED).count() == 2
    # The same form sent twice files one request.
    again = keeper_client.post(f"/hq/batches/{batch.pk}/cancel/", data)
    assert again["Location"] == f"/approvals/{request.pk}/"
    # The batch page links the request instead of offering the form again ...
    page = keeper_client.get(f"/hq/batches/{batch.pk}/")
    assert page.context["cancel_request"] == request.pk
    assert b'id="cancel-request"' in page.content
    assert f'action="/hq/batches/{batch.pk}/cancel/"'.encode() not in page.content
    # ... and a second request for the batch is refused, saying which one waits.
    refused = keeper_client.post(f"/hq/batches/{batch.pk}/cancel/", {"reason": "twice"})
    assert refused.status_code == 409
    assert f"request #{request.pk}".encode() in refused.content
    assert ApprovalRequest.objects.count() == 1

    shown = keeper_client.get(f"/approvals/{request.pk}/")
    assert b'id="cancel-summary"' in shown.content and b"never paid" in shown.content
    assert b'id="approve-button"' not in shown.content
    checker = signed_in(Role.HQ_STOCK)
    assert "Approvals (1)" in checker.get("/").content.decode()  # counted like the others
    assert "Waiting for my approval: 1" in checker.get("/approvals/").content.decode()
    assert checker.post(f"/approvals/{request.pk}/approve/", {}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert batch.cards.filter(state=CardState.VOID).count() == 2
    stock_is_consistent()


def test_importing_the_manufacturers_file(keeper_client):
    product = f.product()
    numbers = [inv.number(product, 500 + 2 * i) for i in range(3)]  # not in sequence
    upload = SimpleUploadedFile("cards.csv", ("number\n" + "\n".join(numbers)).encode())
    response = keeper_client.post(
        "/hq/batches/import/",
        {"product": product.pk, "file": upload, "unit_cost": "0.80", "idempotency_key": f.key()},
    )
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.preview["quantity"] == 3 and not Card.objects.exists()
    approved(request)
    batch = Batch.objects.get()
    assert sorted(batch.cards.values_list("number", flat=True)) == sorted(numbers)
    assert batch.unit_cost_minor == 80


def test_a_bad_manufacturers_file_lists_its_bad_lines_and_imports_nothing(keeper_client):
    product = f.product()
    good = inv.number(product, 900)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # wrong check digit
    upload = SimpleUploadedFile("cards.csv", f"{good}\n{bad}\n".encode())
    response = keeper_client.post(
        "/hq/batches/import/", {"product": product.pk, "file": upload, "idempotency_key": f.key()}
    )
    assert response.status_code == 422
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Line 2" in errors
    assert not Batch.objects.exists()
    assert not Card.objects.exists()
    assert not ApprovalRequest.objects.exists()
    missing = keeper_client.post("/hq/batches/import/", {"product": product.pk})
    assert "file" in missing.context["form"].errors


def test_voiding_misprints_at_hq(keeper_client):
    cards = inv.run_of_cards(f.product(), f.hq(), 3)
    response = keeper_client.post(
        "/hq/batches/void/",
        {"numbers": cards[0].number, "reason": "smudged", "idempotency_key": f.key()},
    )
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert response["Location"] == f"/approvals/{request.pk}/"
    assert inv.where(cards[0])[0] == CardState.IN_STOCK  # nothing before the approval
    approved(request)
    assert inv.where(cards[0])[0] == CardState.VOID
    missing_reason = keeper_client.post(
        "/hq/batches/void/", {"numbers": cards[1].number, "idempotency_key": f.key()}
    )
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.context["form"].errors
    assert inv.where(cards[1])[0] == CardState.IN_STOCK


def test_batches_are_for_stock_keepers_only():
    product = f.product()
    for role in (Role.HQ_FINANCE, Role.STORE_MANAGER):
        client = signed_in(role)
        assert client.get("/hq/batches/").status_code == 403
        refused = client.post("/hq/batches/new/", {"product": product.pk, "quantity": "5"})
        assert refused.status_code == 403
    assert not Batch.objects.exists()


# Stock -------------------------------------------------------------------------------------


def test_hq_stock_shows_counts_in_transit_and_ranges(keeper_client):
    product = f.product()
    s01 = f.store("S01")
    cards = inv.run_of_cards(product, f.hq(), 5)
    handover = draft_handover(inv.keeper(), s01, cards[:2])
    dispatch_handover(actor=inv.keeper(), handover_id=handover.pk)
    page = keeper_client.get("/hq/stock/")
    assert page.status_code == 200
    lines = {(line.location.code, line.product.pk): line for line in page.context["lines"]}
    assert lines[("HQ", product.pk)].in_stock == 3
    assert lines[("HQ", product.pk)].in_transit_out == 2
    assert lines[("S01", product.pk)].in_transit_in == 2
    ranges = keeper_client.get(f"/hq/stock/ranges/?location={f.hq().pk}&product={product.pk}")
    assert [(r.first, r.last, r.count) for r in ranges.context["page"].object_list] == [
        (cards[2].number, cards[4].number, 3)
    ]
    filtered = keeper_client.get(f"/hq/stock/?location={s01.pk}")
    assert {line.location.code for line in filtered.context["lines"]} == {"S01"}


def test_hq_stock_is_refused_to_store_staff():
    assert signed_in(Role.STORE_MANAGER).get("/hq/stock/").status_code == 403


def test_store_stock_shows_only_the_own_store():
    product = f.product()
    s01, s02 = f.store("S01"), f.store("S02")
    own = inv.run_of_cards(product, s01, 2)
    inv.run_of_cards(product, s02, 4)
    cashier = signed_in(Role.STORE_CASHIER, s01)
    page = cashier.get("/stock/")
    assert page.status_code == 200
    assert [(line.location.code, line.in_stock) for line in page.context["lines"]] == [("S01", 2)]
    # Asking for S02's ranges still answers with S01's own cards only.
    ranges = cashier.get(f"/stock/ranges/?location={s02.pk}&product={product.pk}")
    assert ranges.context["location"] == s01
    assert ranges.context["count"] == 2
    assert {r.first for r in ranges.context["page"].object_list} == {own[0].number}
    assert signed_in(Role.HQ_STOCK).get("/stock/").status_code == 403


# Stocktakes --------------------------------------------------------------------------------


def test_stocktake_counted_by_numbers_and_ranges_then_confirmed():
    s01 = f.store("S01")
    here = inv.run_of_cards(f.product(), s01, 6)
    stray = inv.run_of_cards(f.product(), f.store("S02"), 1)[0]
    manager = signed_in(Role.STORE_MANAGER, s01)
    assert manager.post("/stock/stocktakes/start/", {"note": "monthly"}).status_code == 302
    stocktake = Stocktake.objects.get()
    # A second start (a double click) carries on with the open one.
    again = manager.post("/stock/stocktakes/start/", {"note": ""})
    assert again["Location"] == f"/stock/stocktakes/{stocktake.pk}/"
    assert Stocktake.objects.count() == 1

    response = manager.post(
        f"/stock/stocktakes/{stocktake.pk}/count/",
        {
            "numbers": f"{here[0].number}\n{stray.number}",
            "ranges": f"{here[1].number} - {here[3].number}",
        },
    )
    # Another store's card is no card to S01: it stays in the box, the others are counted.
    assert response.status_code == 422
    assert "Entry 2: No card with that number here" in response.content.decode()
    assert response.context["form"]["numbers"].value() == stray.number
    assert StocktakeCount.objects.filter(stocktake=stocktake).count() == 4
    page = manager.get(f"/stock/stocktakes/{stocktake.pk}/")
    result = page.context["result"]
    assert [c.number for c in result.missing] == [here[4].number, here[5].number]
    assert result.unexpected == []

    assert manager.post(f"/stock/stocktakes/{stocktake.pk}/confirm/").status_code == 302
    stocktake.refresh_from_db()
    assert stocktake.state == StocktakeState.CONFIRMED
    assert (stocktake.expected_count, stocktake.counted_count) == (6, 4)
    stock_is_consistent()


def test_a_bad_entry_stays_in_the_box_and_the_good_ones_are_counted():
    s01 = f.store("S01")
    card = inv.run_of_cards(f.product(), s01, 1)[0]
    manager = signed_in(Role.STORE_MANAGER, s01)
    stocktake = start_stocktake(actor=inv.store_staff("S01"))
    bad = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    response = manager.post(
        f"/stock/stocktakes/{stocktake.pk}/count/", {"numbers": f"{card.number}\n{bad}"}
    )
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert response.context["form"].initial["numbers"] == bad
    assert StocktakeCount.objects.filter(stocktake=stocktake, card=card).exists()
    empty = manager.post(f"/stock/stocktakes/{stocktake.pk}/count/", {"numbers": ""})
    assert empty.status_code == 422
    assert "__all__" in empty.context["form"].errors


def test_another_stores_stocktake_answers_404():
    s01 = f.store("S01")
    inv.run_of_cards(f.product(), s01, 1)
    stocktake = start_stocktake(actor=inv.store_staff("S01"))
    other = signed_in(Role.STORE_MANAGER, f.store("S02"))
    assert other.get(f"/stock/stocktakes/{stocktake.pk}/").status_code == 404
    assert other.post(f"/stock/stocktakes/{stocktake.pk}/confirm/").status_code == 404
    assert stocktake.pk not in [
        s.pk for s in other.get("/stock/stocktakes/").context["listing"].rows
    ]
    stocktake.refresh_from_db()
    assert stocktake.state == StocktakeState.OPEN
    # HQ sees it, but may not count or confirm another location's stocktake.
    hq = signed_in(Role.HQ_STOCK)
    page = hq.get(f"/stock/stocktakes/{stocktake.pk}/")
    assert page.status_code == 200
    assert page.context["can_count"] is False


def test_cashiers_may_not_open_stocktakes():
    assert signed_in(Role.STORE_CASHIER).get("/stock/stocktakes/").status_code == 403


def test_a_bank_card_counted_by_mistake_is_not_shown_back():
    s01 = f.store("S01")
    inv.run_of_cards(f.product(), s01, 1)
    stocktake = start_stocktake(actor=inv.store_staff("S01"))
    manager = signed_in(Role.STORE_MANAGER, s01)
    visa = "4111111111111111"
    response = manager.post(f"/stock/stocktakes/{stocktake.pk}/count/", {"numbers": visa})
    assert response.status_code == 422
    assert visa.encode() not in response.content
    assert not StocktakeCount.objects.exists()


def test_cancelling_a_stocktake_needs_a_reason():
    s01 = f.store("S01")
    inv.run_of_cards(f.product(), s01, 1)
    stocktake = start_stocktake(actor=inv.store_staff("S01"))
    manager = signed_in(Role.STORE_MANAGER, s01)
    response = manager.post(f"/stock/stocktakes/{stocktake.pk}/cancel/", {"reason": ""})
    assert response.status_code == 422
    assert "reason" in response.context["cancel_form"].errors
    stocktake.refresh_from_db()
    assert stocktake.state == StocktakeState.OPEN
    done = manager.post(f"/stock/stocktakes/{stocktake.pk}/cancel/", {"reason": "started twice"})
    assert done.status_code == 302
    stocktake.refresh_from_db()
    assert stocktake.state == StocktakeState.CANCELLED
    # Cashiers do not open stocktake pages at all.
    cashier = signed_in(Role.STORE_CASHIER, s01)
    assert (
        cashier.post(f"/stock/stocktakes/{stocktake.pk}/cancel/", {"reason": "x"}).status_code
        == 403
    )
