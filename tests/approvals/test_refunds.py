"""Refunds under four eyes (membercard.approvals.refunds): what a cashier or a till may not
refund alone (an earlier business day, at or above the refund threshold on one purchase)
is filed for a store manager (or HQ) to approve; nothing is refunded before, the approval
refunds exactly once, as the maker; the rule is one, in ``operations.refund``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.models import ApprovalRequest, ApprovalThresholds, RequestState
from membercard.approvals.refunds import request_refund
from membercard.approvals.services import approve, reject
from membercard.core.calendar import today
from membercard.core.errors import (
    NotFound,
    NotPermitted,
    OwnRequest,
    RefundNeedsManager,
    RequestDecided,
    RequestExpired,
)
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.operations import refund
from tests import factories as f
from tests.ledger.helpers import pay, refused, unchanged
from tests.loyalty.helpers import on_day, points_product

pytestmark = pytest.mark.django_db

THRESHOLD = 1_000


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = THRESHOLD


@pytest.fixture
def card(cashier):
    return f.sold_card(cashier, points_product(), value_minor=10_000)


@pytest.fixture
def bought(cashier, card):
    return pay(cashier, card, 4_000)


def ask(actor, purchase: Operation, amount: int, **kw):
    kw.setdefault("idempotency_key", f.key())
    return request_refund(actor=actor, operation_id=purchase.pk, amount_minor=amount, **kw)


def refunds() -> int:
    return Operation.objects.filter(kind=OperationKind.REFUND).count()


def test_under_the_threshold_a_cashier_refunds_at_once(cashier, card, bought):
    done = ask(cashier, bought, THRESHOLD - 1)
    assert isinstance(done, Operation)
    assert done.kind == OperationKind.REFUND and done.staff == cashier.staff
    assert "approved_by" not in done.details
    assert not ApprovalRequest.objects.exists()


def test_at_the_threshold_a_request_is_filed_and_nothing_is_refunded(cashier, card, bought):
    with unchanged(card):
        request = ask(cashier, bought, THRESHOLD, reason="Wrong size")
    assert isinstance(request, ApprovalRequest)
    assert request.state == RequestState.PENDING and request.location == cashier.location
    assert request.payload == {
        "operation_id": bought.pk,
        "amount_minor": THRESHOLD,
        "reason": "Wrong size",
    }
    preview = request.preview
    assert preview["operation_kind"] == OperationKind.REFUND
    assert preview["card_number"] == card.number
    assert preview["gross_minor"] == THRESHOLD
    assert preview["value_after_minor"] - preview["value_before_minor"] == THRESHOLD
    # The points the purchase earned (40) are taken back pro rata: 10 of them
    assert preview["moved"]["points"] == -10
    assert refunds() == 0


def test_splitting_does_not_get_round_the_threshold(cashier, bought):
    assert isinstance(ask(cashier, bought, THRESHOLD - 100), Operation)
    assert isinstance(ask(cashier, bought, 100), ApprovalRequest)
    assert refunds() == 1


def test_a_manager_approves_and_the_refund_posts_once_as_the_maker(cashier, manager, card, bought):
    request = ask(cashier, bought, 2_500)
    approved = approve(actor=manager, request_id=request.pk, note="Seen the receipt")
    assert approved.state == RequestState.APPROVED and approved.decided_by == manager.staff
    operation = approved.operation
    assert operation.refund_of_id == bought.pk and operation.gross_minor == 2_500
    assert operation.staff == cashier.staff  # the ledger names the cashier who refunded
    assert operation.details["approved_by"] == manager.staff.pk
    assert f.balances(card)[0] + f.balances(card)[1] == request.preview["value_after_minor"]
    with refused(RequestDecided, "request_decided", card):
        approve(actor=f.actor(Role.STORE_MANAGER), request_id=request.pk)
    assert refunds() == 1


def test_a_replay_of_the_key_answers_the_same_request(cashier, bought):
    key = f.key()
    first = ask(cashier, bought, 2_000, idempotency_key=key)
    again = ask(cashier, bought, 2_000, idempotency_key=key)
    assert again.pk == first.pk
    assert ApprovalRequest.objects.count() == 1


def test_the_maker_cannot_approve_their_own_refund(manager, bought):
    # A manager refunds directly; a request they made (as a cashier would) stays theirs
    request = ask(f.actor(Role.STORE_CASHIER), bought, 2_000)
    request.maker = manager.staff
    request.save()
    with pytest.raises(OwnRequest):
        approve(actor=manager, request_id=request.pk)
    assert refunds() == 0


def test_a_cashier_cannot_approve_and_another_store_does_not_see_it(cashier, bought):
    request = ask(f.actor(Role.STORE_CASHIER), bought, 2_000)
    with pytest.raises(NotPermitted):
        approve(actor=cashier, request_id=request.pk)
    other = f.actor(Role.STORE_MANAGER, f.store("S02"))
    with pytest.raises(NotFound):
        approve(actor=other, request_id=request.pk)
    assert refunds() == 0
    # HQ finance may approve a store's refund
    assert approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk).operation is not None


def test_rejected_or_expired_refund_posts_nothing(cashier, manager, card, bought):
    rejected = ask(cashier, bought, 2_000)
    with unchanged(card):
        reject(actor=manager, request_id=rejected.pk, note="Goods not returned")
    expired = ask(cashier, bought, 2_000)
    ApprovalRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with refused(RequestExpired, "request_expired", card):
        approve(actor=manager, request_id=expired.pk)
    assert refunds() == 0


def test_an_earlier_days_purchase_needs_approval_whatever_the_amount(cashier, manager, card):
    with on_day(today() - dt.timedelta(days=2)):
        old = pay(cashier, card, 500)
    request = ask(cashier, old, 1)
    assert isinstance(request, ApprovalRequest)
    assert approve(actor=manager, request_id=request.pk).operation.gross_minor == 1


def test_operations_refund_still_refuses_a_cashier_over_the_threshold(cashier, card, bought):
    with refused(RefundNeedsManager, "refund_needs_manager", card):
        refund(actor=cashier, operation_id=bought.pk, amount_minor=THRESHOLD, idempotency_key="k")


def test_the_threshold_is_hqs_once_set(cashier, bought):
    ApprovalThresholds.objects.create(
        adjustment_minor=0,
        points_adjustment=0,
        hq_top_up_minor=0,
        refund_minor=3_000,
        lifetime_hours=24,
    )
    assert isinstance(ask(cashier, bought, 2_999), Operation)
    assert isinstance(ask(cashier, bought, 1), ApprovalRequest)


def test_managers_refund_any_amount_directly(manager, bought):
    assert isinstance(ask(manager, bought, 4_000), Operation)
    assert not ApprovalRequest.objects.exists()
