"""Four eyes on stock write-offs (``membercard.approvals.stock_write_offs``): a handover card
resolved as lost and a cancelled batch order are requests; nothing is voided until someone
other than the maker approves; the approval voids once, as the maker; a line settled or a
batch received meanwhile makes the request stale; a second request for the same line or
batch is refused while one waits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.errors import RequestAlreadyPending
from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.selectors import pending_for
from membercard.approvals.services import approve, reject
from membercard.approvals.stock_write_offs import request_batch_cancel, request_handover_loss
from membercard.cards.models import BatchStatus
from membercard.cards.states import CardState
from membercard.core.errors import (
    NotPermitted,
    OwnRequest,
    RequestDecided,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.inventory.errors import BatchNotOrdered, HandoverLineNotFound, HandoverLineNotOpen
from membercard.inventory.models import HandoverState, LineStatus, StockMovement
from membercard.inventory.services import batches
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import stock_is_consistent, where
from tests.ledger.test_concurrency import run_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper():
    return inv.keeper()


@pytest.fixture
def checker():
    """A second stock keeper, who may approve the first one's requests."""
    return inv.keeper()


def missing_line(keeper, count: int = 2):
    """A handover HQ -> S01 of ``count`` cards, received with its last card missing: the
    open line of that card."""
    cards = inv.run_of_cards(f.product(name="Value card"), f.hq(), count)
    handover = inv.draft_handover(keeper, f.store("S01"), cards)
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    receive_handover(
        actor=inv.store_staff("S01"),
        handover_id=handover.pk,
        scanned=[c.number for c in cards[:-1]],
    )
    return handover.lines.get(status=LineStatus.MISSING)


def ask_loss(actor, line, **kw):
    kw.setdefault("note", "Not in the box; the courier confirmed")
    kw.setdefault("idempotency_key", f.key())
    return request_handover_loss(actor=actor, line_id=line.pk, **kw)


def ask_cancel(actor, batch, **kw):
    kw.setdefault("reason", "Supplier went bankrupt")
    kw.setdefault("idempotency_key", f.key())
    return request_batch_cancel(actor=actor, batch_id=batch.pk, **kw)


def line_now(line):
    line.refresh_from_db()
    return line.status


def expire(request) -> None:
    ApprovalRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )


# Handover losses ------------------------------------------------------------------------------


def test_a_loss_request_changes_nothing_and_shows_the_card(keeper):
    line = missing_line(keeper)
    handover, card = line.handover, line.card

    request = ask_loss(keeper, line)

    assert (request.kind, request.state) == (RequestKind.HANDOVER_LOSS, RequestState.PENDING)
    assert where(card) == (CardState.IN_TRANSIT, None)
    assert line_now(line) == LineStatus.MISSING and line.resolved_at is None
    assert not StockMovement.objects.filter(event="handover.lost").exists()
    assert request.preview == {
        "handover": handover.document_number,
        "handover_id": handover.pk,
        "from": "HQ",
        "to": "S01",
        "card": card.number,
        "product": card.product.code,
        "product_name": "Value card",
        "state": "in_transit",
        "location_id": None,
    }
    assert request.payload == {"line_id": line.pk, "note": "Not in the box; the courier confirmed"}


def test_the_approval_voids_the_card_once_as_the_maker(keeper, checker):
    line = missing_line(keeper)
    request = ask_loss(keeper, line)
    with pytest.raises(OwnRequest):
        approve(actor=keeper, request_id=request.pk)
    assert where(line.card) == (CardState.IN_TRANSIT, None)

    approved = approve(actor=checker, request_id=request.pk, note="Seen the courier's mail")

    assert (approved.state, approved.decided_by) == (RequestState.APPROVED, checker.staff)
    assert where(line.card) == (CardState.VOID, None)
    assert line_now(line) == LineStatus.LOST and line.resolved_by == keeper.staff
    moves = StockMovement.objects.filter(event="handover.lost")
    assert list(moves.values_list("staff", "reason")) == [
        (keeper.staff.pk, "Not in the box; the courier confirmed")
    ]
    handover = line.handover
    handover.refresh_from_db()
    assert (handover.state, handover.closed_by) == (HandoverState.CLOSED, keeper.staff)
    # A second approval (another keeper, later) applies nothing more.
    with pytest.raises(RequestDecided):
        approve(actor=inv.keeper(), request_id=request.pk)
    assert moves.count() == 1
    stock_is_consistent()


def test_a_rejected_or_expired_loss_voids_nothing(keeper, checker):
    line = missing_line(keeper)
    rejected = ask_loss(keeper, line)
    reject(actor=checker, request_id=rejected.pk, note="Look in the store's back room first")
    with pytest.raises(RequestDecided):
        approve(actor=checker, request_id=rejected.pk)
    expired = ask_loss(keeper, line)  # the first one no longer waits: a fresh one is filed
    expire(expired)
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert where(line.card) == (CardState.IN_TRANSIT, None)
    assert line_now(line) == LineStatus.MISSING


def test_a_line_settled_since_the_request_makes_it_stale(keeper, checker):
    line = missing_line(keeper)
    request = ask_loss(keeper, line)
    # The card turns up at the store before anyone approves the loss.
    resolve_line(actor=checker, line_id=line.pk, outcome="found", note="in the box lid")

    with pytest.raises(RequestStale, match="settled"):
        approve(actor=checker, request_id=request.pk)

    assert where(line.card) == (CardState.IN_STOCK, f.store("S01").pk)
    assert line_now(line) == LineStatus.FOUND
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.PENDING
    stock_is_consistent()


def test_a_loss_request_is_checked_like_resolving(keeper):
    line = missing_line(keeper, count=3)
    received = line.handover.lines.filter(status=LineStatus.RECEIVED).first()
    with pytest.raises(HandoverLineNotOpen):
        ask_loss(keeper, received)
    with pytest.raises(ValidationFailed):
        ask_loss(keeper, line, note="   ")
    with pytest.raises(NotPermitted):
        ask_loss(inv.keeper(Role.HQ_FINANCE), line)
    with pytest.raises(NotPermitted):
        ask_loss(inv.store_staff("S01"), line)
    line.pk += 1000
    with pytest.raises(HandoverLineNotFound):
        ask_loss(keeper, line)
    assert not ApprovalRequest.objects.exists()


def test_a_second_loss_request_for_a_line_is_refused_while_one_waits(keeper):
    line = missing_line(keeper)
    key = f.key()
    first = ask_loss(keeper, line, idempotency_key=key)
    assert ask_loss(keeper, line, idempotency_key=key).pk == first.pk  # a double submit

    with pytest.raises(RequestAlreadyPending, match=f"request #{first.pk}") as refused:
        ask_loss(inv.keeper(), line)

    assert refused.value.extra["request_id"] == first.pk
    assert ApprovalRequest.objects.count() == 1


def test_the_checker_sees_the_new_kinds_waiting_and_the_maker_does_not(keeper, checker):
    loss = ask_loss(keeper, missing_line(keeper))
    cancel = ask_cancel(keeper, inv.order_batch(keeper, f.product(), 2))
    assert {r.pk for r in pending_for(checker)} == {loss.pk, cancel.pk}
    assert not pending_for(keeper).exists()
    assert not pending_for(f.actor(Role.HQ_FINANCE)).exists()  # not theirs to decide


# Batch cancellations -----------------------------------------------------------------------


def test_a_cancel_request_voids_nothing_and_shows_the_write_off(keeper):
    product = f.product(name="Gold card")
    batch = inv.order_batch(keeper, product, 6, unit_cost_minor=150)

    request = ask_cancel(keeper, batch)  # the orderer may ask

    assert (request.kind, request.state) == (RequestKind.BATCH_CANCEL, RequestState.PENDING)
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.PRODUCED}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ORDERED
    assert request.preview == {
        "batch": batch.document_number,
        "batch_id": batch.pk,
        "product": product.code,
        "product_name": "Gold card",
        "status": "ordered",
        "count": 6,
        "unit_cost_minor": 150,
        "total_cost_minor": 900,
        "reason": "Supplier went bankrupt",
    }


def test_the_approval_cancels_once_as_the_maker(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 4)
    request = ask_cancel(keeper, batch)
    with pytest.raises(OwnRequest):
        approve(actor=keeper, request_id=request.pk)

    approve(actor=checker, request_id=request.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert f"by {keeper.label}: Supplier went bankrupt" in batch.notes
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.VOID}
    moves = StockMovement.objects.filter(event="batch.cancelled")
    assert set(moves.values_list("staff", "reason")) == {
        (keeper.staff.pk, "Supplier went bankrupt")
    }
    with pytest.raises(RequestDecided):
        approve(actor=inv.keeper(), request_id=request.pk)
    assert moves.count() == 4
    stock_is_consistent()


def test_a_rejected_or_expired_cancel_voids_nothing(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 3)
    rejected = ask_cancel(keeper, batch)
    reject(actor=checker, request_id=rejected.pk, note="The supplier delivers after all")
    expired = ask_cancel(keeper, batch)
    expire(expired)
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ORDERED
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.PRODUCED}


def test_a_batch_received_since_the_request_makes_it_stale(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 3)
    request = ask_cancel(keeper, batch)
    batches.receive_batch(actor=checker, batch_id=batch.pk)

    with pytest.raises(RequestStale, match="received or cancelled"):
        approve(actor=checker, request_id=request.pk)

    assert set(batch.cards.values_list("state", flat=True)) == {CardState.IN_STOCK}
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.PENDING


def test_a_card_voided_on_order_since_the_request_makes_it_stale(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 3)
    request = ask_cancel(keeper, batch)
    misprint = batch.cards.first()
    batches.void_cards(actor=checker, numbers=[misprint.number], reason="misprint")

    with pytest.raises(RequestStale):  # it would void 2 cards, not the 3 it shows
        approve(actor=checker, request_id=request.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.ORDERED
    assert batch.cards.filter(state=CardState.PRODUCED).count() == 2


def test_a_cancel_request_is_checked_like_the_cancellation(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 2)
    with pytest.raises(ValidationFailed):
        ask_cancel(keeper, batch, reason=" ")
    with pytest.raises(NotPermitted):
        ask_cancel(inv.keeper(Role.HQ_FINANCE), batch)
    batches.receive_batch(actor=checker, batch_id=batch.pk)
    with pytest.raises(BatchNotOrdered):
        ask_cancel(keeper, batch)
    assert not ApprovalRequest.objects.exists()


def test_a_second_cancel_request_is_refused_while_one_waits(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 2)
    first = ask_cancel(keeper, batch)
    with pytest.raises(RequestAlreadyPending, match=f"request #{first.pk}"):
        ask_cancel(checker, batch)
    reject(actor=checker, request_id=first.pk, note="no")
    assert ask_cancel(checker, batch).pk != first.pk  # once decided, a fresh one may be filed


# Concurrency (PostgreSQL) ----------------------------------------------------------------------


def _decide_all(request, checkers) -> list[str]:
    def decide(i: int) -> str:
        try:
            return approve(actor=checkers[i], request_id=request.pk).state
        except RequestDecided:
            return "decided"

    return run_threads(len(checkers), decide)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_loss_void_the_card_once():
    keeper = inv.keeper()
    checkers = [inv.keeper() for _ in range(4)]
    line = missing_line(keeper)
    request = ask_loss(keeper, line)

    outcomes = _decide_all(request, checkers)

    assert sorted(outcomes) == ["approved", "decided", "decided", "decided"]
    assert where(line.card) == (CardState.VOID, None)
    assert StockMovement.objects.filter(event="handover.lost").count() == 1
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.APPROVED
    stock_is_consistent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_cancellation_cancel_once():
    keeper = inv.keeper()
    checkers = [inv.keeper() for _ in range(4)]
    batch = inv.order_batch(keeper, f.product(), 20)
    request = ask_cancel(keeper, batch)

    outcomes = _decide_all(request, checkers)

    assert sorted(outcomes) == ["approved", "decided", "decided", "decided"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert StockMovement.objects.filter(event="batch.cancelled").count() == 20
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.APPROVED
    stock_is_consistent()
