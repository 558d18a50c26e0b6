"""Refund approvals under real concurrency (PostgreSQL, threads on their own connections):
several managers approving one refund request at once refund once; the card gets exactly
the refunded amount back and the ledger verifies."""

from __future__ import annotations

import pytest

from membercard.approvals.models import RequestState
from membercard.approvals.refunds import request_refund
from membercard.approvals.services import approve
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.verify import verify_ledger
from tests import factories as f
from tests.approvals.test_concurrency import _outcome
from tests.ledger.helpers import pay
from tests.ledger.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_approvals_of_one_refund_refund_once(settings):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = 1_000
    cashier = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(cashier, value_minor=10_000)
    managers = [f.actor(Role.STORE_MANAGER) for _ in range(3)] + [f.actor(Role.HQ_FINANCE)]
    bought = pay(cashier, card, 6_000)
    for _round in range(3):
        request = request_refund(
            actor=cashier, operation_id=bought.pk, amount_minor=1_500, idempotency_key=f.key()
        )
        outcomes = run_threads(
            4, lambda i, r=request: _outcome(lambda: approve(actor=managers[i], request_id=r.pk))
        )
        request.refresh_from_db()
        assert request.state == RequestState.APPROVED
        assert set(outcomes) <= {f"approved:{request.operation_id}", "decided"}
        assert f"approved:{request.operation_id}" in outcomes
    assert Operation.objects.filter(kind=OperationKind.REFUND).count() == 3
    assert f.balances(card)[0] == 10_000 - 6_000 + 3 * 1_500
    assert verify_ledger().problems == []
