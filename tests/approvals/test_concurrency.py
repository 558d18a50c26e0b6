"""Approvals under real concurrency (PostgreSQL, threads on their own connections): two
approvals at once post once; an approval racing a rejection posts nothing or wins."""

from __future__ import annotations

import pytest

from membercard.approvals.models import ApprovalRequest, RequestState
from membercard.approvals.services import approve, reject
from membercard.core.errors import DomainError, RequestDecided
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.verify import verify_ledger
from tests import factories as f
from tests.approvals.helpers import ask_adjustment
from tests.ledger.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _outcome(call) -> str:
    try:
        result = call()
    except RequestDecided:
        return "decided"
    except DomainError as error:  # anything else is a failure, shown by its code
        return error.code
    return f"{result.state}:{result.operation_id}"


def test_concurrent_double_approval_posts_once():
    finance = f.actor(Role.HQ_FINANCE)
    card = f.sold_card(f.actor(Role.STORE_CASHIER), value_minor=10_000)
    checkers = [f.actor(Role.HQ_ADMIN) for _ in range(4)]
    for _round in range(3):
        request = ask_adjustment(finance, card, delta=100)
        outcomes = run_threads(
            4, lambda i, r=request: _outcome(lambda: approve(actor=checkers[i], request_id=r.pk))
        )
        request.refresh_from_db()
        assert request.state == RequestState.APPROVED
        # Every approval answers the one operation (the losers replayed it) or "decided"
        assert set(outcomes) <= {f"approved:{request.operation_id}", "decided"}
        assert f"approved:{request.operation_id}" in outcomes
    assert Operation.objects.filter(kind=OperationKind.ADJUSTMENT).count() == 3
    assert f.balances(card) == (10_300, 0, 0)
    assert verify_ledger().problems == []


def test_an_approval_racing_a_rejection_posts_at_most_once():
    finance = f.actor(Role.HQ_FINANCE)
    card = f.sold_card(f.actor(Role.STORE_CASHIER), value_minor=10_000)
    approver, rejecter = f.actor(Role.HQ_ADMIN), f.actor(Role.HQ_ADMIN)
    for _round in range(3):
        request = ask_adjustment(finance, card, delta=100)
        calls = [
            lambda r=request: approve(actor=approver, request_id=r.pk),
            lambda r=request: reject(actor=rejecter, request_id=r.pk, note="no"),
        ]
        outcomes = run_threads(2, lambda i, c=calls: _outcome(c[i]))
        assert "decided" in outcomes  # exactly one decision won
        request.refresh_from_db()
        posted = Operation.objects.filter(approval=request).count()
        assert posted == (1 if request.state == RequestState.APPROVED else 0)
    approved = ApprovalRequest.objects.filter(state=RequestState.APPROVED).count()
    assert f.balances(card) == (10_000 + 100 * approved, 0, 0)
