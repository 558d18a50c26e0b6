"""Four eyes on card stock (``membercard.approvals.stock``): voids and batch orders are
requests; nothing is voided or produced until someone other than the maker approves; the
approval does it once, as the maker; a void whose cards moved is refused as stale; the
orderer of a batch does not receive it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.services import approve, reject
from membercard.approvals.stock import request_batch_order, request_card_void
from membercard.cards.models import Batch, BatchStatus, Card
from membercard.cards.states import CardState
from membercard.core.errors import (
    NotPermitted,
    OrdererCannotReceive,
    OwnRequest,
    RequestDecided,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.inventory.errors import CardsNotVoidable
from membercard.inventory.models import StockMovement
from membercard.inventory.services import batches
from membercard.inventory.services.handovers import add_cards, create_handover, dispatch_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import stock_is_consistent
from tests.ledger.test_concurrency import run_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper():
    return inv.keeper()


@pytest.fixture
def checker():
    """A second stock keeper, who may approve the first one's requests."""
    return inv.keeper()


@pytest.fixture
def cards():
    return inv.run_of_cards(f.product(), f.hq(), 4)


def ask_void(actor, cards, **kw):
    kw.setdefault("reason", "Misprint: the logo is cut off")
    kw.setdefault("idempotency_key", f.key())
    return request_card_void(actor=actor, numbers=[c.number for c in cards], **kw)


def ask_order(actor, product, quantity=5, **kw):
    kw.setdefault("unit_cost_minor", 120)
    kw.setdefault("idempotency_key", f.key())
    return request_batch_order(actor=actor, product=product, quantity=quantity, **kw)


def states(cards):
    return [Card.objects.get(pk=c.pk).state for c in cards]


# Voids ---------------------------------------------------------------------------------------


def test_a_void_request_voids_nothing_and_shows_the_cards(keeper, cards):
    request = ask_void(keeper, cards[:3])

    assert (request.kind, request.state) == (RequestKind.CARD_VOID, RequestState.PENDING)
    assert states(cards) == [CardState.IN_STOCK] * 4
    assert not StockMovement.objects.filter(event="card.voided").exists()
    preview = request.preview
    assert preview["count"] == 3
    assert preview["products"] == {cards[0].product.code: 3}
    assert preview["states"] == {"in_stock": 3}
    assert preview["ranges"] == [{"first": cards[0].number, "last": cards[2].number, "count": 3}]


def test_the_approval_voids_the_cards_once_as_the_maker(keeper, checker, cards):
    request = ask_void(keeper, cards[:2])

    approved = approve(actor=checker, request_id=request.pk, note="Seen")

    assert (approved.state, approved.decided_by) == (RequestState.APPROVED, checker.staff)
    assert states(cards) == [CardState.VOID, CardState.VOID, CardState.IN_STOCK, CardState.IN_STOCK]
    moves = StockMovement.objects.filter(event="card.voided")
    assert set(moves.values_list("staff", "reason")) == {
        (keeper.staff.pk, "Misprint: the logo is cut off")
    }
    with pytest.raises(RequestDecided):
        approve(actor=inv.keeper(), request_id=request.pk)
    assert moves.count() == 2
    stock_is_consistent()


def test_the_maker_cannot_approve_their_own_void(keeper, cards):
    request = ask_void(keeper, cards[:1])
    with pytest.raises(OwnRequest):
        approve(actor=keeper, request_id=request.pk)
    assert states(cards[:1]) == [CardState.IN_STOCK]


@pytest.mark.parametrize("role", [Role.HQ_FINANCE, Role.STORE_MANAGER])
def test_only_stock_keepers_and_admins_decide_stock_requests(keeper, cards, role):
    request = ask_void(keeper, cards[:1])
    with pytest.raises(NotPermitted):
        approve(actor=f.actor(role), request_id=request.pk)
    approve(actor=f.actor(Role.HQ_ADMIN), request_id=request.pk)
    assert states(cards[:1]) == [CardState.VOID]


def test_a_rejected_or_expired_void_voids_nothing(keeper, checker, cards):
    rejected = ask_void(keeper, cards[:1])
    reject(actor=checker, request_id=rejected.pk, note="Not a misprint: the light was bad")
    with pytest.raises(RequestDecided):
        approve(actor=checker, request_id=rejected.pk)
    expired = ask_void(keeper, cards[1:2])
    ApprovalRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert states(cards[:2]) == [CardState.IN_STOCK, CardState.IN_STOCK]


def test_a_card_that_moved_since_the_request_makes_it_stale(keeper, checker, cards):
    request = ask_void(keeper, cards[:3])
    # One of the cards is dispatched to a store meanwhile.
    handover = create_handover(actor=checker, to_location=f.store("S01"))
    add_cards(actor=checker, handover_id=handover.pk, numbers=[cards[1].number])
    dispatch_handover(actor=checker, handover_id=handover.pk)

    with pytest.raises(RequestStale, match="changed state"):
        approve(actor=checker, request_id=request.pk)

    assert states(cards[:3]) == [CardState.IN_STOCK, CardState.IN_TRANSIT, CardState.IN_STOCK]
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.PENDING
    stock_is_consistent()


def test_a_card_received_since_a_void_on_order_makes_it_stale(keeper, checker):
    batch = inv.order_batch(keeper, f.product(), 2)
    request = ask_void(keeper, list(batch.cards.all()[:1]))
    assert request.preview["states"] == {"produced": 1}
    batches.receive_batch(actor=checker, batch_id=batch.pk)  # still voidable, but not as shown
    with pytest.raises(RequestStale):
        approve(actor=checker, request_id=request.pk)
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.IN_STOCK}


def test_a_void_request_is_checked_like_the_void(keeper, cards):
    sold = f.sold_card(f.actor(Role.STORE_CASHIER))
    with pytest.raises(CardsNotVoidable):
        ask_void(keeper, [cards[0], sold])
    with pytest.raises(ValidationFailed):
        ask_void(keeper, cards[:1], reason="  ")
    with pytest.raises(NotPermitted):
        ask_void(f.actor(Role.HQ_FINANCE), cards[:1])
    assert not ApprovalRequest.objects.exists()


def test_a_double_submit_files_one_void_request(keeper, cards):
    key = f.key()
    first, again = (
        ask_void(keeper, cards[:1], idempotency_key=key),
        ask_void(keeper, cards[:1], idempotency_key=key),
    )
    assert first.pk == again.pk and ApprovalRequest.objects.count() == 1


# Batch orders ----------------------------------------------------------------------------------


def test_an_order_produces_nothing_until_approved(keeper):
    product = f.product(unit_cost_minor=150)

    request = ask_order(keeper, product, 30, unit_cost_minor=150, supplier="Acme")

    assert not Batch.objects.exists() and not Card.objects.exists()
    assert not StockMovement.objects.exists()
    assert request.preview == {
        "product": product.code,
        "product_name": product.name,
        "unit_cost_minor": 150,
        "supplier": "Acme",
        "notes": "",
        "source": "generated",
        "quantity": 30,
        "total_cost_minor": 4_500,
    }


def test_the_approval_makes_the_batch_once_ordered_by_the_maker(keeper, checker):
    request = ask_order(keeper, f.product(), 12)

    approved = approve(actor=checker, request_id=request.pk)

    batch = Batch.objects.get()
    assert approved.preview["batch_id"] == batch.pk
    assert approved.preview["batch"] == batch.document_number
    assert (batch.quantity, batch.created_by, batch.status) == (
        12,
        keeper.staff,
        BatchStatus.ORDERED,
    )
    assert batch.cards.filter(state=CardState.PRODUCED).count() == 12
    with pytest.raises(RequestDecided):
        approve(actor=f.actor(Role.HQ_ADMIN), request_id=request.pk)
    assert Batch.objects.count() == 1 and Card.objects.count() == 12
    stock_is_consistent()


def test_the_orderer_neither_approves_nor_receives(keeper, checker):
    request = ask_order(keeper, f.product())
    with pytest.raises(OwnRequest):
        approve(actor=keeper, request_id=request.pk)
    approve(actor=checker, request_id=request.pk)
    batch = Batch.objects.get()
    with pytest.raises(OrdererCannotReceive) as refused:
        batches.receive_batch(actor=keeper, batch_id=batch.pk)
    assert refused.value.code == "orderer_cannot_receive"
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.PRODUCED}
    batches.receive_batch(actor=checker, batch_id=batch.pk)  # the approver may receive it
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.IN_STOCK}


def test_a_rejected_or_expired_order_produces_nothing(keeper, checker):
    product = f.product()
    rejected = ask_order(keeper, product)
    reject(actor=checker, request_id=rejected.pk, note="We have enough of these")
    expired = ask_order(keeper, product)
    ApprovalRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert not Batch.objects.exists() and not Card.objects.exists()


def test_an_order_is_checked_when_filed(keeper):
    product = f.product()
    with pytest.raises(ValidationFailed):
        ask_order(keeper, product, 0)
    with pytest.raises(NotPermitted):
        ask_order(f.actor(Role.STORE_MANAGER), product)
    inactive = f.product(is_active=False)
    with pytest.raises(Exception, match="not active"):
        ask_order(keeper, inactive)
    assert not ApprovalRequest.objects.exists()


def test_an_imported_order_keeps_the_file_and_imports_it_on_approval(keeper, checker):
    product = f.product(pin_required=True)  # numbers in sequence: guessable without a PIN
    numbers = [inv.number(product, 700 + i) for i in range(3)]
    request = request_batch_order(
        actor=keeper,
        product=product,
        rows_text="\n".join(numbers),
        unit_cost_minor=90,
        idempotency_key=f.key(),
    )
    assert request.preview["quantity"] == 3 and request.preview["source"] == "imported"
    assert request.preview["ranges"] == [{"first": numbers[0], "last": numbers[2], "count": 3}]
    assert not Card.objects.exists()
    approve(actor=checker, request_id=request.pk)
    assert sorted(Batch.objects.get().cards.values_list("number", flat=True)) == numbers


# Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_of_one_batch_order_make_one_batch():
    keeper = inv.keeper()
    checkers = [inv.keeper() for _ in range(4)]
    request = ask_order(keeper, f.product(), 20)

    def decide(i: int) -> str:
        try:
            return approve(actor=checkers[i], request_id=request.pk).state
        except RequestDecided:
            return "decided"

    outcomes = run_threads(4, decide)

    assert sorted(outcomes) == ["approved", "decided", "decided", "decided"]
    batch = Batch.objects.get()
    assert batch.cards.count() == 20 and batch.created_by == keeper.staff
    assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.APPROVED
    stock_is_consistent()
