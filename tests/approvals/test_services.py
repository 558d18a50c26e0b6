"""Four eyes (membercard.approvals.services): a request posts nothing until someone other
than its maker approves it, and then exactly what it showed, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals import thresholds
from membercard.approvals.models import ApprovalRequest, ApprovalThresholds, RequestState
from membercard.approvals.services import approve, expire_due, reject
from membercard.core.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    NotPermitted,
    OwnRequest,
    RequestDecided,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from tests import factories as f
from tests.approvals.helpers import ask_adjustment, ask_thresholds, ask_top_up
from tests.ledger.helpers import pay, refused, unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _top_up_threshold(settings):
    """Under an anonymous card's prepaid limit (1,000.00) with room for two top-ups."""
    settings.MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD = 40_000


@pytest.fixture
def card(cashier):
    return f.sold_card(cashier, value_minor=10_000)


@pytest.fixture
def checker():
    """A second person at HQ who may approve money requests."""
    return f.actor(Role.HQ_ADMIN)


def test_an_adjustment_request_posts_nothing_and_shows_what_it_will_post(finance, card):
    # Given the default thresholds (every adjustment needs approval)
    with unchanged(card):
        request = ask_adjustment(finance, card, delta=700)
    # Then a pending request shows the card, the amounts and the balances
    assert isinstance(request, ApprovalRequest)
    assert request.state == RequestState.PENDING
    assert request.operation is None
    preview = request.preview
    assert preview["card_number"] == card.number
    assert preview["moved"] == {"principal_minor": 700, "bonus_minor": 0, "points": 0}
    assert preview["value_before_minor"] == 10_000
    assert preview["value_after_minor"] == 10_700
    assert preview["reason"] == "Till shortfall found on the day sheet"
    assert request.expires_at - request.created_at == dt.timedelta(hours=48)


def test_approval_posts_as_the_maker_exactly_once(finance, checker, card):
    request = ask_adjustment(finance, card, delta=700)
    approved = approve(actor=checker, request_id=request.pk)
    assert approved.state == RequestState.APPROVED
    assert approved.decided_by == checker.staff
    operation = approved.operation
    assert operation.kind == OperationKind.ADJUSTMENT
    assert operation.staff == finance.staff  # the ledger names the maker
    assert f.balances(card) == (10_700, 0, 0)
    # Approving again is refused and posts nothing more
    with refused(RequestDecided, "request_decided", card):
        approve(actor=checker, request_id=request.pk)
    assert Operation.objects.filter(kind=OperationKind.ADJUSTMENT).count() == 1


@pytest.mark.parametrize("kind", ["adjustment", "hq_top_up", "thresholds"])
def test_a_maker_cannot_approve_or_reject_their_own_request(kind, finance, card):
    maker = f.actor(Role.HQ_ADMIN) if kind == "thresholds" else finance
    if kind == "adjustment":
        request = ask_adjustment(maker, card)
    elif kind == "hq_top_up":
        request = ask_top_up(maker, card)
    else:
        request = ask_thresholds(maker)
    with refused(OwnRequest, "own_request", card):
        approve(actor=maker, request_id=request.pk)
    with refused(OwnRequest, "own_request", card):
        reject(actor=maker, request_id=request.pk, note="mine")
    request.refresh_from_db()
    assert request.state == RequestState.PENDING


def test_a_role_that_may_not_approve_is_refused(finance, card):
    request = ask_adjustment(finance, card)
    stock_keeper = f.actor(Role.HQ_STOCK)
    with refused(NotPermitted, "not_permitted", card):
        approve(actor=stock_keeper, request_id=request.pk)


def test_a_rejected_request_posts_nothing_and_cannot_be_approved(finance, checker, card):
    request = ask_adjustment(finance, card)
    with pytest.raises(ValidationFailed):
        reject(actor=checker, request_id=request.pk, note=" ")
    rejected = reject(actor=checker, request_id=request.pk, note="No day sheet attached")
    assert rejected.state == RequestState.REJECTED
    assert rejected.decision_note == "No day sheet attached"
    other = f.actor(Role.HQ_FINANCE)
    with refused(RequestDecided, "request_decided", card):
        approve(actor=other, request_id=request.pk)
    assert f.balances(card) == (10_000, 0, 0)


def test_an_expired_request_posts_nothing_and_cannot_be_approved(finance, checker, card):
    request = ask_adjustment(finance, card)
    ApprovalRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    # Read lazily: approving a request past its expiry marks it expired and refuses
    with refused(RequestExpired, "request_expired", card):
        approve(actor=checker, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED
    with refused(RequestDecided, "request_decided", card):
        approve(actor=checker, request_id=request.pk)


def test_the_daily_job_expires_what_is_due(finance, card):
    due = ask_adjustment(finance, card)
    fresh = ask_adjustment(finance, card)
    later = timezone.now() + dt.timedelta(hours=47)
    ApprovalRequest.objects.filter(pk=due.pk).update(expires_at=later - dt.timedelta(hours=1))
    assert expire_due(later) == 1
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert (due.state, fresh.state) == (RequestState.EXPIRED, RequestState.PENDING)


def test_a_stale_preview_is_refused(finance, checker, cashier, card):
    request = ask_adjustment(finance, card, delta=700)
    # The card is used at the counter after the request was made
    pay(cashier, card, 1_000)
    with refused(RequestStale, "request_stale", card):
        approve(actor=checker, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == RequestState.PENDING and request.operation is None
    # It can still be rejected, and a fresh request shows the new balances
    reject(actor=checker, request_id=request.pk, note="stale")
    fresh = ask_adjustment(finance, card, delta=700)
    assert fresh.preview["value_before_minor"] == 9_000


def test_a_request_is_refused_as_the_operation_would_refuse_it(finance, card):
    # Taking more than the card holds: the rehearsal refuses; nothing is filed
    with refused(InsufficientBalance, "insufficient_balance", card):
        ask_adjustment(finance, card, delta=-20_000)
    assert not ApprovalRequest.objects.exists()
    # Only those who may adjust may ask
    with pytest.raises(NotPermitted):
        ask_adjustment(f.actor(Role.HQ_ADMIN), card)


def test_a_double_submit_files_one_request(finance, card):
    key = f.key()
    first = ask_adjustment(finance, card, idempotency_key=key)
    again = ask_adjustment(finance, card, idempotency_key=key)
    assert again.pk == first.pk
    with pytest.raises(IdempotencyConflict):
        ask_adjustment(finance, card, delta=900, idempotency_key=key)
    assert ApprovalRequest.objects.count() == 1


def test_below_the_threshold_an_adjustment_posts_directly(finance, card, settings):
    settings.MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD = 1_000
    posted = ask_adjustment(finance, card, delta=999)
    assert isinstance(posted, Operation)
    assert f.balances(card) == (10_999, 0, 0)
    # At the threshold it waits for approval
    with unchanged(card):
        waiting = ask_adjustment(finance, card, delta=-1_000)
    assert isinstance(waiting, ApprovalRequest)


def test_points_adjustments_have_their_own_threshold(finance, settings):
    settings.MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD = 0
    settings.MEMBERCARD_APPROVAL_POINTS_ADJUSTMENT_THRESHOLD = 50
    seller = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(seller, f.product(has_points=True, points_per_unit=1))
    assert isinstance(ask_adjustment(finance, card, delta=49, bucket="points"), Operation)
    assert isinstance(ask_adjustment(finance, card, delta=50, bucket="points"), ApprovalRequest)


def test_hq_top_ups_at_or_above_the_threshold_wait(finance, checker, card):
    below = ask_top_up(finance, card, amount_minor=39_999)
    assert isinstance(below, Operation)
    with unchanged(card):
        request = ask_top_up(finance, card, amount_minor=40_000)
    assert request.preview["moved"]["principal_minor"] == 40_000
    approved = approve(actor=checker, request_id=request.pk)
    assert approved.operation.kind == OperationKind.TOP_UP
    assert approved.operation.staff == finance.staff
    assert f.balances(card)[0] == 10_000 + 39_999 + 40_000


def test_a_store_does_not_file_hq_top_ups(card):
    with pytest.raises(NotPermitted):
        ask_top_up(f.actor(Role.STORE_MANAGER), card)


def test_a_thresholds_change_needs_a_second_person(checker):
    maker = f.actor(Role.HQ_ADMIN)
    request = ask_thresholds(maker, hq_top_up_minor=50_000)
    assert thresholds.current() == thresholds.defaults()  # nothing changed yet
    assert request.preview["before"]["hq_top_up_minor"] == 40_000
    approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
    assert thresholds.current().hq_top_up_minor == 50_000
    assert ApprovalThresholds.objects.get().request == request
    # Finance may approve thresholds but not ask for them
    with pytest.raises(NotPermitted):
        ask_thresholds(f.actor(Role.HQ_FINANCE))


def test_a_thresholds_request_goes_stale_when_another_change_lands_first():
    admin_a, admin_b = f.actor(Role.HQ_ADMIN), f.actor(Role.HQ_ADMIN)
    first = ask_thresholds(admin_a, lifetime_hours=12)
    second = ask_thresholds(admin_a, lifetime_hours=24)
    approve(actor=admin_b, request_id=first.pk)
    with pytest.raises(RequestStale):
        approve(actor=admin_b, request_id=second.pk)
    assert ApprovalThresholds.objects.count() == 1


def test_new_thresholds_apply_to_new_requests(finance, card):
    admin_a, admin_b = f.actor(Role.HQ_ADMIN), f.actor(Role.HQ_ADMIN)
    approve(actor=admin_b, request_id=ask_thresholds(admin_a, adjustment_minor=5_000).pk)
    assert isinstance(ask_adjustment(finance, card, delta=4_999), Operation)
    request = ask_adjustment(finance, card, delta=5_000)
    assert request.expires_at - request.created_at == dt.timedelta(hours=24)
