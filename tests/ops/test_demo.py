"""``membercard demo``: loads a genuine demo once, through the real services."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from membercard.approvals.kinds import KINDS
from membercard.approvals.models import ApprovalRequest
from membercard.cards import numbers
from membercard.cards.models import Batch, BatchStatus, Card, CardProduct
from membercard.cards.states import CardState
from membercard.core.calendar import today
from membercard.core.models import Location, LocationKind, Role, Staff
from membercard.days.models import BusinessDay, DayState
from membercard.days.reconciliation import reconciliation_rows
from membercard.inventory.models import Handover, HandoverLine, HandoverState, LineStatus
from membercard.ledger.models import Account, Operation, OperationKind, Transfer
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.models import Campaign, GiftStock, Member
from membercard.ops import demo
from membercard.ops.verification import run_all_checks

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Location, Staff, CardProduct, Card, Member, Operation, Transfer, Account)
    }


def test_demo_loads_once_and_its_ledger_verifies():
    output = run_demo()
    assert "demo data loaded" in output
    assert "cashier1  / cashier123" in output

    # Locations.
    assert {(loc.code, loc.kind) for loc in Location.objects.all()} == {
        ("HQ", LocationKind.HQ),
        ("S01", LocationKind.STORE),
        ("S02", LocationKind.STORE),
    }
    hq, s01, s02 = (Location.objects.get(code=code) for code in ("HQ", "S01", "S02"))
    assert hq.name == "Headquarters"

    # Staff of every role, with the documented logins.
    assert set(Staff.objects.values_list("role", flat=True)) == set(Role.values)
    expected = {
        "admin": (Role.HQ_ADMIN, hq),
        "finance": (Role.HQ_FINANCE, hq),
        "stock": (Role.HQ_STOCK, hq),
        "manager1": (Role.STORE_MANAGER, s01),
        "cashier1": (Role.STORE_CASHIER, s01),
        "manager2": (Role.STORE_MANAGER, s02),
        "cashier2": (Role.STORE_CASHIER, s02),
    }
    for username, (role, location) in expected.items():
        person = Staff.objects.get(username=username)
        assert (person.role, person.location) == (role, location)
    cashier = authenticate(username="cashier1", password="cashier123")
    assert cashier is not None and cashier.username == "cashier1"
    admin = authenticate(username="admin", password="admin123")
    assert admin is not None and admin.is_superuser and admin.is_staff
    assert authenticate(username="cashier1", password="wrong") is None

    # Products, valid and as documented.
    products = {p.code: p for p in CardProduct.objects.all()}
    assert set(products) == {"gold", "value", "keychain100", "member"}
    for product in products.values():
        product.full_clean()
        assert product.unit_cost_minor > 0
    gold = products["gold"]
    # 5% as created, 6% since the demo's approved money-policy request (four_eyes.py).
    assert (gold.discount_rate_bp, gold.points_per_unit, gold.stores_may_top_up) == (600, 1, False)
    assert gold.bonus_rules == [[100_000, 10_000], [50_000, 4_000]]
    assert products["value"].stores_may_top_up
    assert products["keychain100"].face_values == [10_000]
    assert products["keychain100"].deposit_minor == 1_000
    assert not products["member"].has_stored_value

    # Several hundred valid, unique cards; a third with RFID UIDs; stock left everywhere.
    cards = list(Card.objects.select_related("product"))
    assert len(cards) >= 300
    for card in cards:
        assert card.number.startswith(card.product.number_prefix)
        assert len(card.number) == 16 and numbers.is_luhn_valid(card.number)
    uids = [card.uid for card in cards if card.uid]
    assert len(uids) >= len(cards) // 4
    assert all(re.fullmatch(r"[0-9A-F]{8}", uid) for uid in uids)
    for location in (hq, s01, s02):
        in_stock = Card.objects.filter(state=CardState.IN_STOCK, location=location)
        assert in_stock.count() >= 40
        assert in_stock.values("product").distinct().count() == 4
    for store in (s01, s02):
        assert Card.objects.filter(sold_at=store).count() >= 50
    assert Card.objects.filter(sold_at=hq).exists()
    assert Card.objects.exclude(member=None).count() >= 40

    # A history of every kind, made by the right people.
    kinds = set(Operation.objects.values_list("kind", flat=True))
    assert kinds >= {
        OperationKind.CARD_SALE,
        OperationKind.TOP_UP,
        OperationKind.PURCHASE,
        OperationKind.REFUND,
        OperationKind.REVERSAL,
        OperationKind.ADJUSTMENT,
        OperationKind.CARD_FROZEN,
        OperationKind.CARD_UNFROZEN,
        OperationKind.CARD_REPLACEMENT,
        OperationKind.CARD_RECOVERY,
    }
    assert Operation.objects.filter(kind=OperationKind.PURCHASE, location=s01).count() >= 30
    assert Operation.objects.filter(kind=OperationKind.PURCHASE, location=s02).count() >= 30
    gold_top_ups = Operation.objects.filter(kind=OperationKind.TOP_UP, card__product=gold)
    assert gold_top_ups.exists()
    assert set(gold_top_ups.values_list("staff__username", flat=True)) == {"finance"}
    # Four eyes: a pending and an approved request of every kind, decided by a second person
    requests = ApprovalRequest.objects.all()
    assert {(kind, state) for kind in KINDS for state in ("pending", "approved")} <= {
        (r.kind, r.state) for r in requests
    }
    for request in requests.filter(state="approved"):
        assert request.decided_by != request.maker
        assert (request.operation is not None) == (KINDS[request.kind].post is not None)
    # The batches were ordered by one keeper, approved and received by the other.
    for batch in Batch.objects.filter(status=BatchStatus.RECEIVED):
        assert (batch.created_by.username, batch.received_by.username) == ("stock", "stock2")
    assert Operation.objects.filter(
        kind=OperationKind.TOP_UP, card__product__code="value", location__in=[s01, s02]
    ).exists()
    for adjustment in Operation.objects.filter(kind=OperationKind.ADJUSTMENT):
        assert adjustment.reason and adjustment.staff.username == "finance"
    refunds = Operation.objects.filter(kind=OperationKind.REFUND).select_related("refund_of")
    assert any(r.net_minor < r.refund_of.net_minor for r in refunds)  # partial
    assert Card.objects.filter(state=CardState.FROZEN).exists()
    # The member's lost card replaced at the counter; an anonymous one over the lowered
    # limit replaced with HQ's approved override (its operation keeps the request).
    replaced, overridden = (
        Card.objects.get(state=CardState.REPLACED, member__isnull=registered)
        for registered in (False, True)
    )
    assert replaced.replaced_by.state == CardState.ACTIVE
    assert replaced.replaced_by.location is None
    assert replaced.replaced_by.member_id == replaced.member_id is not None
    override = Operation.objects.get(card=overridden, kind=OperationKind.CARD_REPLACEMENT)
    assert (
        override.details["limit_override"]["request"]
        == ApprovalRequest.objects.get(kind="replacement", state="approved").pk
    )
    recovered = Card.objects.get(state=CardState.RECOVERED)
    assert recovered.product == products["keychain100"] and recovered.location == s02
    recovery = Operation.objects.get(kind=OperationKind.CARD_RECOVERY)
    assert recovery.net_minor == 1_000  # the deposit went back

    assert verify_ledger().problems == []
    # Stock arrived the real way: a received batch per product, a handover to each store
    # (three cards missing at S02's receipt: one found, one written off as lost under four
    # eyes, one waiting for approval), and every check of verify is clean. Two later keychain
    # batches were cancelled before delivery: one approved, one waiting.
    received = Batch.objects.filter(status=BatchStatus.RECEIVED)
    assert received.count() == 4 and set(received.values_list("product__code", flat=True)) == {
        "gold",
        "value",
        "keychain100",
        "member",
    }
    assert Batch.objects.filter(status=BatchStatus.CANCELLED).count() == 1
    assert Batch.objects.filter(status=BatchStatus.ORDERED).count() == 1
    handovers = Handover.objects.order_by("pk")
    assert [h.to_location.code for h in handovers] == ["S01", "S02"]
    assert [h.state for h in handovers] == [HandoverState.RECEIVED, HandoverState.DISCREPANCY]
    statuses = list(
        HandoverLine.objects.exclude(status__in=["received", "listed"]).values_list(
            "status", flat=True
        )
    )
    assert sorted(statuses) == sorted([LineStatus.FOUND, LineStatus.LOST, LineStatus.MISSING])
    # Rewards to try: gifts in stock at both stores, one redeemed, a campaign at S01.
    for store in ("S01", "S02"):
        assert GiftStock.objects.filter(location__code=store, quantity__gt=0).count() == 3
    assert Operation.objects.filter(kind=OperationKind.GIFT_REDEMPTION).count() == 1
    assert Campaign.objects.get().stores.get().code == "S01"
    # A week of business days: past days closed and sealed by the managers, today open,
    # and the reconciliation board shows every status for finance to look into.
    this_day = today()
    past = BusinessDay.objects.filter(business_date__lt=this_day)
    assert past.count() >= 10
    assert set(past.values_list("state", flat=True)) == {DayState.CLOSED}
    assert all(day.seal_digest for day in past)
    assert set(
        BusinessDay.objects.filter(business_date=this_day).values_list("state", flat=True)
    ) == {DayState.OPEN}
    assert Operation.objects.filter(kind=OperationKind.PURCHASE, business_date=this_day).exists()
    board = reconciliation_rows(this_day - dt.timedelta(days=7), this_day)
    assert {row.status for row in board} == {"open", "closed", "matched", "difference"}
    assert any(row.variance < 0 for row in board)  # a till short at close
    assert any(row.deposit_difference < 0 and row.deposit_received for row in board)
    assert all(summary.problems == [] for summary in run_all_checks())

    # Running it again changes nothing.
    before = counts()
    again = run_demo()
    assert "demo data already loaded" in again
    assert counts() == before


def test_demo_leaves_other_data_alone():
    Location.objects.create(code="S09", name="Somebody's store", kind=LocationKind.STORE)
    output = run_demo()
    assert "nothing loaded" in output
    assert Card.objects.count() == Staff.objects.count() == CardProduct.objects.count() == 0
    assert demo.demo_state() == demo.DemoState.FOREIGN


def test_demo_refuses_a_half_loaded_database():
    Location.objects.create(code="HQ", name=demo.HQ_NAME, kind=LocationKind.HQ)
    assert demo.demo_state() == demo.DemoState.INCOMPLETE
    with pytest.raises(CommandError, match="part-way"):
        run_demo()
    assert Card.objects.count() == 0
