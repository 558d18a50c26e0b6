"""The audit row is written inside the action's transaction: a failed audit write fails the
action and leaves no trace; a committed action has exactly one row, written before its
answer; a refused one gets its row afterwards with the status; a command exits 0 exactly
when its work committed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

import membercard.urls
from membercard.approvals.models import ApprovalRequest
from membercard.cards.models import Batch, Card
from membercard.core import audit as core_audit
from membercard.core.actors import Actor
from membercard.core.errors import DomainError
from membercard.core.models import AuditEvent, AuditKind, Role
from membercard.ledger.models import Operation
from membercard.operations import purchase
from membercard.ops.management.commands import batch as batch_command
from tests import factories as f
from tests.api.conftest import make_till

pytestmark = pytest.mark.django_db


class _Broken(RuntimeError):
    pass


def _audit_write_fails(monkeypatch) -> None:
    def refuse(**fields):
        raise _Broken("the audit table is not writable")

    monkeypatch.setattr(core_audit, "write_row", refuse)


# Test pages: a purchase at the counter, and one whose answer fails after the commit. ------


def _pay(request: HttpRequest, number: str) -> HttpResponse:
    try:
        operation = purchase(
            actor=Actor.for_staff(request.user),
            card_number=number,
            amount_minor=int(request.POST["amount"]),
            idempotency_key=request.POST["idempotency_key"],
        )
    except DomainError as refusal:
        return HttpResponse(refusal.message, status=409)
    if request.POST.get("break_the_answer"):
        raise RuntimeError("the receipt template is broken")
    return HttpResponse(f"paid {operation.pk}")


urlpatterns = [
    path("audit-inside/<str:number>/pay", _pay, name="audit-inside-pay"),
    *membercard.urls.urlpatterns,
]


@pytest.fixture
def counter(settings):
    settings.ROOT_URLCONF = __name__
    f.hq()
    store = f.store("S01")
    cashier = f.staff(Role.STORE_CASHIER, store)
    card = f.sold_card(Actor.for_staff(cashier), f.product(), 10_000)
    client = Client(REMOTE_ADDR="10.0.0.8", raise_request_exception=False)
    client.force_login(cashier)
    return client, cashier, card


def _actions() -> list[AuditEvent]:
    return list(AuditEvent.objects.exclude(kind=AuditKind.SIGN_IN).order_by("pk"))


def test_a_page_action_whose_audit_write_fails_leaves_no_trace(counter, monkeypatch):
    client, _cashier, card = counter
    operations, balances = Operation.objects.count(), f.balances(card)
    _audit_write_fails(monkeypatch)

    response = client.post(
        f"/audit-inside/{card.number}/pay", {"amount": 2_000, "idempotency_key": "k1"}
    )

    assert response.status_code == 500
    assert Operation.objects.count() == operations
    assert f.balances(card) == balances
    assert _actions() == []


def test_a_committed_page_action_has_its_row_even_when_the_answer_fails(counter):
    client, cashier, card = counter

    response = client.post(
        f"/audit-inside/{card.number}/pay",
        {"amount": 2_000, "idempotency_key": "k2", "break_the_answer": "1"},
    )

    assert response.status_code == 500  # the answer failed after the commit...
    paid = Operation.objects.latest("pk")
    assert f.balances(card)[0] == 8_000
    (event,) = _actions()  # ...and the one row was written inside, before it
    assert (event.kind, event.staff, event.what, event.status) == (
        AuditKind.CHANGE,
        cashier,
        "audit-inside-pay",
        None,
    )
    assert event.details["outcome"] == "committed"
    assert event.details["result"] == f"Operation {paid.pk}"
    assert event.path == f"/audit-inside/••••{card.number[-4:]}/pay"


def test_a_refused_page_action_gets_its_row_afterwards_with_the_status(counter):
    client, _cashier, card = counter
    operations = Operation.objects.count()

    response = client.post(
        f"/audit-inside/{card.number}/pay", {"amount": 99_000, "idempotency_key": "k3"}
    )

    assert response.status_code == 409
    assert Operation.objects.count() == operations
    (event,) = _actions()
    assert event.status == 409
    assert "outcome" not in event.details


def test_the_second_business_operation_of_a_request_writes_no_second_row(counter):
    _client, cashier, card = counter
    pending = core_audit.PendingAudit(
        describe=lambda: {"kind": AuditKind.CHANGE, "staff": cashier, "what": "two"}
    )
    actor = Actor.for_staff(cashier)

    with core_audit.audit_inside(pending):
        purchase(actor=actor, card_number=card.number, amount_minor=100, idempotency_key="a")
        purchase(actor=actor, card_number=card.number, amount_minor=100, idempotency_key="b")

    assert pending.done
    assert list(AuditEvent.objects.filter(what="two")) == [pending.event]
    assert pending.write_after(status=200) is None


# The API: a terminal acts as staff of its store. ---------------------------------------


@pytest.fixture
def till_and_card():
    till = make_till("S01", "till-1")
    till.client.raise_request_exception = False
    card = f.sold_card(f.actor(Role.STORE_CASHIER, f.store("S01")), f.product(), 10_000)
    return till, card


def test_an_api_purchase_whose_audit_write_fails_leaves_no_trace(till_and_card, monkeypatch):
    till, card = till_and_card
    operations, balances = Operation.objects.count(), f.balances(card)
    _audit_write_fails(monkeypatch)

    response = till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="t1")

    assert response.status_code >= 500
    assert Operation.objects.count() == operations
    assert f.balances(card) == balances
    assert not AuditEvent.objects.exists()


def test_an_api_purchase_has_one_row_naming_the_terminal(till_and_card):
    till, card = till_and_card

    response = till.post(f"/cards/{card.number}/purchases", {"amount": 1_000}, key="t2")
    till.get(f"/cards/{card.number}")  # a read: no row

    assert response.status_code == 201
    paid = Operation.objects.latest("pk")
    (event,) = AuditEvent.objects.all()
    assert (event.kind, event.staff, event.username) == (
        AuditKind.CHANGE,
        None,
        "terminal:S01/till-1",
    )
    assert (event.role, event.location_code, event.method, event.status) == (
        "store_cashier",
        "S01",
        "POST",
        None,
    )
    assert event.details == {
        "amount": 1_000,
        "terminal": "S01/till-1",
        "idempotency_key": "t2",
        "outcome": "committed",
        "result": f"Operation {paid.pk}",
    }
    assert card.number not in event.path


def test_a_refused_api_purchase_gets_its_row_afterwards(till_and_card):
    till, card = till_and_card
    operations = Operation.objects.count()

    response = till.post(f"/cards/{card.number}/purchases", {"amount": 50_000}, key="t3")

    assert 400 <= response.status_code < 500
    assert Operation.objects.count() == operations
    (event,) = AuditEvent.objects.all()
    assert (event.username, event.status) == ("terminal:S01/till-1", response.status_code)


def test_an_api_request_without_a_valid_key_is_not_audited(till_and_card):
    _till, card = till_and_card

    Client().post(f"/api/v1/cards/{card.number}/purchases", {}, content_type="application/json")

    assert not AuditEvent.objects.exists()


# Operator commands ---------------------------------------------------------------------


@pytest.fixture
def keeper():
    f.hq()
    return f.staff(Role.HQ_STOCK, f.hq())


def _batch(*args: str) -> str:
    out = io.StringIO()
    call_command("batch", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_command_whose_audit_write_fails_rolls_its_work_back_and_fails(keeper, monkeypatch):
    product = f.product()
    _audit_write_fails(monkeypatch)

    with pytest.raises(_Broken):
        _batch("create", "--product", product.code, "--quantity", "5", "--by", keeper.username)

    assert not Batch.objects.exists()
    assert not ApprovalRequest.objects.exists()
    assert not Card.objects.filter(product=product).exists()
    assert not AuditEvent.objects.exists()


def test_a_command_that_commits_exits_0_with_its_row_inside(keeper):
    product = f.product()

    out = _batch("create", "--product", product.code, "--quantity", "5", "--by", keeper.username)

    request = ApprovalRequest.objects.get()  # four eyes: the order is a request
    assert f"Request #{request.pk}: a batch of 5 cards" in out
    (event,) = AuditEvent.objects.all()
    assert (event.kind, event.what, event.staff, event.status) == (
        AuditKind.CLI,
        "batch create",
        keeper,
        None,
    )
    assert event.details["outcome"] == "committed"
    assert event.details["result"] == f"ApprovalRequest {request.pk}"
    assert f"--product={product.code}" in event.details["args"]


def test_a_command_whose_report_fails_after_the_commit_still_exits_0(keeper, monkeypatch):
    product = f.product()

    def broken_report(self, result, **options):
        raise BrokenPipeError("the operator's terminal went away")

    monkeypatch.setattr(batch_command.Command, "report", broken_report)
    err = io.StringIO()

    call_command(  # no exception: exit status 0
        "batch",
        *("create", "--product", product.code, "--quantity", "3", "--by", keeper.username),
        stdout=io.StringIO(),
        stderr=err,
    )

    assert ApprovalRequest.objects.get().preview["quantity"] == 3
    assert AuditEvent.objects.get().details["outcome"] == "committed"
    assert "The work is done (committed)" in err.getvalue()


def test_a_refused_command_exits_1_with_its_row_afterwards(keeper):
    cashier = f.staff(Role.STORE_CASHIER, f.store("S01"))
    product = f.product()

    with pytest.raises(CommandError) as refused:
        _batch("create", "--product", product.code, "--quantity", "5", "--by", cashier.username)

    assert refused.value.returncode == 1
    assert not Batch.objects.exists()
    (event,) = AuditEvent.objects.all()
    assert (event.what, event.staff, event.details["outcome"]) == (
        "batch create",
        cashier,
        "refused",
    )


def test_a_command_with_nothing_to_do_records_its_run_and_exits_0():
    f.hq()

    call_command("expire-points", "--date", "2026-01-31", stdout=io.StringIO())

    (event,) = AuditEvent.objects.all()
    assert (event.what, event.details["outcome"]) == ("expire-points", "no changes")
    assert event.details["args"] == "--date=2026-01-31"
