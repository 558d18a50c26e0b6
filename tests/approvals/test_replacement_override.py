"""A replacement over the prepaid limit (``membercard.approvals.replacements``): refused at the
counter, filed as a request, posted only once someone at HQ other than the maker approves
it, with the override kept on the operation and listed in the limit overrides report.

Cards over a limit are made by lowering the limits after the sale (defaults: anonymous
1 000.00, registered 5 000.00)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.replacements import request_replacement
from membercard.approvals.services import approve, reject
from membercard.cards.models import Card
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
from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.errors import PrepaidLimitExceeded
from membercard.loyalty.services import set_prepaid_limits
from membercard.loyalty.services.limits import LimitOverride
from membercard.operations.card_life import replace_card
from membercard.reports.limit_overrides import limit_overrides
from membercard.reports.tables import REPORTS
from tests import factories as f
from tests.ledger.helpers import pay, refused, unchanged
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def old(cashier, finance):
    """An anonymous card holding 900.00, the anonymous limit since lowered to 500.00."""
    card = f.sold_card(cashier, f.product(), 90_000)
    set_prepaid_limits(
        actor=finance, anonymous_limit_minor=50_000, registered_limit_minor=500_000, reason="x"
    )
    return card


@pytest.fixture
def new(cashier, old):
    return f.stock_card(old.product, cashier.location)


@pytest.fixture
def checker():
    return f.actor(Role.HQ_FINANCE)


def ask(actor, old, new, **kw):
    kw.setdefault("reason", "Card lost on the metro; the customer showed the receipt")
    kw.setdefault("idempotency_key", f.key())
    return request_replacement(actor=actor, old_number=old.number, new_number=new.number, **kw)


def state(card: Card) -> str:
    return Card.objects.get(pk=card.pk).state


def test_the_counter_refuses_and_the_request_moves_nothing(cashier, old, new):
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", old, new):
        replace_card(
            actor=cashier, old_number=old.number, new_number=new.number, idempotency_key=f.key()
        )
    with unchanged(old, new):
        request = ask(cashier, old, new)
    assert (request.kind, request.state) == (RequestKind.REPLACEMENT, RequestState.PENDING)
    assert (state(old), state(new)) == (CardState.ACTIVE, CardState.IN_STOCK)
    preview = request.preview
    assert preview["card_number"] == old.number
    assert (preview["value_before_minor"], preview["value_after_minor"]) == (90_000, 0)
    assert request.payload["up_to_minor"] == 90_000
    assert request.payload["limit_minor"] == 50_000
    assert not Operation.objects.filter(kind=OperationKind.CARD_REPLACEMENT).exists()


def test_the_approval_posts_once_with_the_override_the_reports_list(cashier, old, new, checker):
    request = ask(cashier, old, new)
    with pytest.raises(NotPermitted):  # a store manager does not approve an override
        approve(actor=f.actor(Role.STORE_MANAGER), request_id=request.pk)

    approved = approve(actor=checker, request_id=request.pk, note="Receipt checked")

    operation = approved.operation
    assert operation.kind == OperationKind.CARD_REPLACEMENT
    assert operation.staff == cashier.staff  # posted as the maker
    assert operation.details == {"limit_override": {"request": request.pk, "up_to_minor": 90_000}}
    assert f.balances(new)[:2] == (90_000, 0)
    assert (state(old), state(new)) == (CardState.REPLACED, CardState.ACTIVE)
    with pytest.raises(RequestDecided):
        approve(actor=f.actor(Role.HQ_ADMIN), request_id=request.pk)
    assert Operation.objects.filter(kind=OperationKind.CARD_REPLACEMENT).count() == 1

    day = operation.business_date
    (row,) = limit_overrides(day, day)
    assert (row.receipt, row.value_moved, row.allowed_up_to, row.request) == (
        operation.receipt_number,
        90_000,
        90_000,
        request.pk,
    )
    assert (row.made_by, row.approved_by) == (str(cashier.staff), str(checker.staff))
    assert row.card.endswith(old.number[-4:]) and old.number not in row.card
    table = REPORTS["limit-overrides"](day, day, None)
    assert len(table.rows) == 1 and "Overrides: 1" in table.notes[0]
    assert limit_overrides(day - dt.timedelta(days=3), day - dt.timedelta(days=1)) == []


def test_the_maker_never_approves(manager, old):
    """A store manager (who may decide other kinds at the counter) files it: not theirs to
    approve, nor any store person's."""
    new = f.stock_card(old.product, manager.location)
    request = ask(manager, old, new)
    with pytest.raises(OwnRequest):
        approve(actor=manager, request_id=request.pk)
    with pytest.raises(NotPermitted):
        approve(actor=f.actor(Role.STORE_MANAGER), request_id=request.pk)
    assert state(new) == CardState.IN_STOCK


def test_rejected_or_expired_requests_post_nothing(cashier, old, new, checker):
    rejected = ask(cashier, old, new)
    reject(actor=checker, request_id=rejected.pk, note="Ask the customer to register first")
    expired = ask(cashier, old, new)
    ApprovalRequest.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    with unchanged(old, new), pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert not Operation.objects.filter(kind=OperationKind.CARD_REPLACEMENT).exists()


def test_a_card_spent_from_since_the_request_makes_it_stale(cashier, old, new, checker):
    request = ask(cashier, old, new)
    pay(cashier, old, 1_000)
    with unchanged(old, new), pytest.raises(RequestStale):
        approve(actor=checker, request_id=request.pk)
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.PENDING


def test_a_replacement_that_fits_is_not_filed(cashier, finance):
    card = f.sold_card(cashier, f.product(), 10_000)
    new = f.stock_card(card.product, cashier.location)
    with pytest.raises(ValidationFailed, match="fits the prepaid limit"):
        ask(cashier, card, new)
    with pytest.raises(ValidationFailed, match="Say why"):
        ask(cashier, card, new, reason=" ")
    assert not ApprovalRequest.objects.exists()


def test_an_override_allows_what_was_approved_and_no_more(cashier, old, new):
    # The service itself: an override for less than the value carried is refused.
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", old, new):
        replace_card(
            actor=cashier,
            old_number=old.number,
            new_number=new.number,
            idempotency_key=f.key(),
            limit_override=LimitOverride(request_id=None, up_to_minor=89_999),
        )


def test_the_cashier_sends_it_from_the_counter_and_follows_it(old, new):
    """The replace form's "send it to HQ" files the request; the cashier follows it under
    "Waiting for approval" (their own requests, the cards masked), HQ decides it."""
    cashier = signed_in(Role.STORE_CASHIER, new.location)
    form = {"card": old.number, "new_card": new.number, "idempotency_key": f.key()}
    refused_page = cashier.post("/counter/replace/", form)
    assert refused_page.status_code == 422 and not ApprovalRequest.objects.exists()
    sent = cashier.post(
        "/counter/replace/", {**form, "ask_approval": "on", "reason": "Lost"}, follow=True
    )
    request = ApprovalRequest.objects.get(kind=RequestKind.REPLACEMENT)
    assert f"Sent to HQ for approval: request #{request.pk}" in sent.content.decode()
    mine = cashier.get("/counter/approvals/").content.decode()
    assert f'href="/approvals/{request.pk}/"' in mine
    detail = cashier.get(f"/approvals/{request.pk}/").content.decode()
    assert 'id="replacement-override"' in detail and 'id="approve-button"' not in detail
    assert old.number not in detail + mine and new.number not in detail + mine
    assert cashier.post(f"/approvals/{request.pk}/approve/", {}).status_code == 403
    assert (state(old), state(new)) == (CardState.ACTIVE, CardState.IN_STOCK)
