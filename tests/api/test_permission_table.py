"""The POS API reads the permission table: every endpoint that changes something does one
action of the table, a terminal (a cashier of its store) may do it, and the counter refund
rule holds for terminals exactly as for cashiers at the web counter.

The refund rule: a store manager refunds any amount; a cashier or a terminal refunds a
purchase of the open business day, less than the refund threshold refunded on it in all;
anything else is filed for a manager's approval (the API answers 403
``refund_needs_approval``) and nothing changes until it is approved.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from membercard.api.api import api
from membercard.approvals.models import ApprovalRequest
from membercard.approvals.services import approve
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.core.permissions import TABLE, Action
from membercard.operations import purchase, refund
from tests import factories as f
from tests.api.conftest import body, make_till, problem
from tests.ledger.helpers import unchanged
from tests.loyalty.helpers import on_day
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

# Every API endpoint that changes something (or reads by POST) -> the action it does.
WRITES = {
    "/api/v1/cards/lookup": Action.LOOK_UP_CARDS,
    "/api/v1/cards/{number}/sale": Action.SELL_CARD,
    "/api/v1/cards/{number}/top-ups": Action.TOP_UP,
    "/api/v1/cards/{number}/purchases": Action.TAKE_PAYMENT,
    "/api/v1/cards/{number}/gift-redemptions": Action.REDEEM_GIFT,
    "/api/v1/cards/{number}/hand-back": Action.RECOVER,
    "/api/v1/operations/{id}/refunds": Action.REFUND,
    "/api/v1/operations/{id}/reversal": Action.REVERSE,
}
LIMIT = 1_000


def test_every_api_write_names_its_action_and_terminals_may_do_it():
    paths = api.get_openapi_schema()["paths"]
    writes = {
        path for path, methods in paths.items() if set(methods) & {"post", "put", "patch", "delete"}
    }
    assert writes == set(WRITES), "name the action of each new API write in WRITES"
    for path, action in WRITES.items():
        assert Role.STORE_CASHIER in TABLE[action], f"{path}: terminals may not {action}"


@pytest.fixture
def limit(settings):
    settings.MEMBERCARD_COUNTER_REFUND_LIMIT = LIMIT
    return LIMIT


@pytest.fixture
def bought(till, card):
    return body(till.post(f"/cards/{card.number}/purchases", {"amount": 4_000}, key="buy"))


def refunds(till, bought, amount, key):
    return till.post(f"/operations/{bought['operation_id']}/refunds", {"amount": amount}, key=key)


def test_a_terminal_refunds_under_the_threshold(till, card, bought, limit):
    assert refunds(till, bought, LIMIT - 1, "r1").status_code == 201
    assert not ApprovalRequest.objects.exists()


def test_a_terminal_refund_at_the_threshold_is_filed_for_approval(till, card, bought, limit):
    with unchanged(card):
        response = refunds(till, bought, LIMIT, "r1")
    details = problem(response)
    assert (response.status_code, details["code"]) == (403, "refund_needs_approval")
    assert details["threshold"] == LIMIT
    request = ApprovalRequest.objects.get()
    assert details["request_id"] == request.pk
    assert (request.terminal, request.maker, request.state) == (till.terminal, None, "pending")
    # A replay of the key answers the same, with no second request
    again = refunds(till, bought, LIMIT, "r1")
    assert (again.status_code, problem(again)["request_id"]) == (403, request.pk)
    assert ApprovalRequest.objects.count() == 1
    pending = body(till.get(f"/approval-requests/{request.pk}"))
    assert (pending["state"], pending["operation_id"]) == ("pending", None)
    # Another store's till does not see it
    assert make_till("S02", "till-9").get(f"/approval-requests/{request.pk}").status_code == 404
    # The store's manager approves it: the refund is the terminal's, on the card's list
    approved = approve(actor=f.actor(Role.STORE_MANAGER), request_id=request.pk)
    ended = body(till.get(f"/approval-requests/{request.pk}"))
    assert (ended["state"], ended["operation_id"]) == ("approved", approved.operation_id)
    assert approved.operation.terminal == till.terminal
    listed = body(till.get(f"/cards/{card.number}/operations"))
    assert approved.operation.pk in {row["operation_id"] for row in listed["items"]}


def test_splitting_a_refund_does_not_get_round_the_threshold(till, card, bought, limit):
    assert refunds(till, bought, LIMIT - 100, "r1").status_code == 201
    with unchanged(card):
        response = refunds(till, bought, 100, "r2")
    assert (response.status_code, problem(response)["code"]) == (403, "refund_needs_approval")
    assert refunds(till, bought, 99, "r3").status_code == 201


def test_a_purchase_of_an_earlier_day_needs_approval(till, card, cashier_s01):
    earlier = today() - dt.timedelta(days=3)
    with on_day(earlier):
        old = purchase(
            actor=cashier_s01, card_number=card.number, amount_minor=500, idempotency_key=f.key()
        )
    with unchanged(card):
        response = till.post(f"/operations/{old.pk}/refunds", {"amount": 100}, key="r1")
    assert (response.status_code, problem(response)["code"]) == (403, "refund_needs_approval")
    manager = f.actor(Role.STORE_MANAGER)
    done = refund(actor=manager, operation_id=old.pk, amount_minor=100, idempotency_key=f.key())
    assert done.refund_of_id == old.pk


def test_the_web_counter_applies_the_same_rule_to_cashiers(card, bought, limit):
    cashier = signed_in(Role.STORE_CASHIER)
    url = reverse("web:counter-refund")
    page = cashier.get(url, {"operation": bought["operation_id"]})
    assert page.status_code == 200
    with unchanged(card):
        sent = cashier.post(
            url,
            {"operation": bought["operation_id"], "amount": "10.00", "idempotency_key": f.key()},
            follow=True,
        )
    request = ApprovalRequest.objects.get()
    assert request.maker is not None and request.payload["amount_minor"] == LIMIT
    assert f"Sent to a manager for approval: request #{request.pk}" in sent.content.decode()
