"""Reversals and adjustments (membercard.operations.corrections): new operations that
undo or correct, never a change to what was written."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import (
    CardNotActive,
    InsufficientBalance,
    InsufficientPoints,
    InvalidAmount,
    NotFound,
    NotPermitted,
    NotReversible,
    ValidationFailed,
)
from membercard.core.models import Role, Terminal
from membercard.core.money import MAX_AMOUNT_MINOR
from membercard.ledger.models import (
    Account,
    OperationKind,
)
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.models import Member
from membercard.operations import adjust, refund, reverse, sell_card
from membercard.operations.card_life import freeze_card, recover_card, replace_card, restock_card
from tests import factories as f
from tests.ledger.helpers import add, house, houses, pay, refused

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def undo(actor, op, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return reverse(actor=actor, operation_id=op.pk, **kwargs)


def correct(actor, card, bucket, delta, reason="customer complaint", **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return adjust(
        actor=actor, card_number=card.number, bucket=bucket, delta=delta, reason=reason, **kwargs
    )


@pytest.fixture
def rich_product():
    return f.product(
        bonus_rules=[[5_000, 500]],
        has_discount=True,
        discount_rate_bp=1_000,
        has_points=True,
        points_per_unit=1,
    )


# Reversals mirror exactly ------------------------------------------------------------------


def test_reversing_a_purchase_puts_everything_back(cashier, rich_product):
    # Given a card with value, bonus and points, and a purchase paid partly otherwise
    card = f.sold_card(cashier, rich_product, 5_000)
    before, before_houses = f.balances(card), houses()
    op = pay(cashier, card, 8_000, allow_split=True, other_tender="cash")
    assert f.balances(card) == (0, 0, 72)
    # When the cashier reverses it
    back = undo(cashier, op, reason="wrong card")
    # Then every balance, card and house, is as before, and the reversal mirrors the amounts
    assert f.balances(card) == before
    assert {k: v for k, v in houses().items() if v or k in before_houses} == before_houses
    assert (back.kind, back.reverses, back.reason) == (OperationKind.REVERSAL, op, "wrong card")
    assert (back.gross_minor, back.discount_minor, back.net_minor, back.paid_other_minor) == (
        op.gross_minor,
        op.discount_minor,
        op.net_minor,
        op.paid_other_minor,
    )
    assert back.tender == op.tender
    mirrored = {(t.credit_account_id, t.debit_account_id, t.amount) for t in op.transfers.all()}
    assert {(t.debit_account_id, t.credit_account_id, t.amount) for t in back.transfers.all()} == (
        mirrored
    )
    assert verify_ledger().problems == []


def test_reversing_a_top_up_takes_value_and_bonus_back(cashier, finance, rich_product):
    card = f.sold_card(cashier, rich_product, 1_000)
    op = add(finance, card, 5_000)
    assert f.balances(card) == (6_000, 500, 0)
    undo(finance, op)
    assert f.balances(card) == (1_000, 0, 0)
    assert house("tender:HQ:cash") == 0
    assert house("promotions:HQ") == 0
    assert verify_ledger().problems == []


def test_reversing_a_refund_restores_the_purchase(cashier, rich_product):
    card = f.sold_card(cashier, rich_product, 5_000)
    op = pay(cashier, card, 2_000)
    after_purchase = f.balances(card)
    back = refund(actor=cashier, operation_id=op.pk, amount_minor=900, idempotency_key=f.key())
    undo(cashier, back)
    assert f.balances(card) == after_purchase
    assert verify_ledger().problems == []


def test_reversing_a_sale_returns_the_card_to_stock(cashier, rich_product):
    # Given a card sold to a member with a PIN, a fee and a deposit, and a validity
    product = f.product(
        bonus_rules=[[5_000, 500]], card_fee_minor=300, deposit_minor=1_000, validity_months=6
    )
    card = f.stock_card(product, cashier.location)
    member = Member.objects.create(name="Han Meimei", mobile="13900000002")
    sale = sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(), member=member, pin="9999",
    )  # fmt: skip
    # When the sale is reversed the same day
    undo(cashier, sale)
    # Then the card is back in stock here, owned by nobody, and all the money is given back
    card.refresh_from_db()
    assert (card.state, card.location, card.sold_at) == (CardState.IN_STOCK, cashier.location, None)
    assert (card.member, card.expires_on, card.pin_hash, card.activated_at) == (
        None,
        None,
        "",
        None,
    )
    assert f.balances(card) == (0, 0, 0)
    assert all(value == 0 for value in houses().values())
    assert verify_ledger().problems == []
    # And it can be sold again
    sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=1_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    assert f.balances(card) == (1_000, 0, 0)


def test_a_sale_is_not_reversed_once_the_card_was_used(cashier):
    card = f.stock_card(f.product(), cashier.location)
    sale = sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    used = pay(cashier, card, 100)
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, sale)
    # Once that use is itself reversed, the sale may be reversed
    undo(cashier, used)
    undo(cashier, sale)
    card.refresh_from_db()
    assert card.state == CardState.IN_STOCK


def test_a_sale_is_not_reversed_once_the_card_was_frozen(cashier):
    card = f.stock_card(f.product(), cashier.location)
    sale = sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    freeze_card(actor=cashier, card_number=card.number)
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, sale)


def test_reversing_a_top_up_already_spent_is_refused(cashier, finance):
    card = f.sold_card(cashier, f.product(), 1_000)
    op = add(finance, card, 5_000)
    pay(cashier, card, 5_500)
    with refused(InsufficientBalance, "insufficient_balance", card):
        undo(finance, op)


def test_reversing_a_purchase_whose_points_were_spent_is_refused(cashier, finance, rich_product):
    card = f.sold_card(cashier, rich_product, 10_000)
    op = pay(cashier, card, 5_000)  # 45 points
    correct(finance, card, "points", -40)
    with refused(InsufficientPoints, "insufficient_points", card):
        undo(cashier, op)


# Reversals refused -------------------------------------------------------------------------


def test_an_operation_is_reversed_once(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    undo(cashier, op)
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, op)


def test_a_reversal_is_not_reversed(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    back = undo(cashier, pay(cashier, card, 1_000))
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, back)


def test_an_adjustment_and_a_freeze_are_not_reversed(finance, cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    adjustment = correct(finance, card, "principal", 100)
    with refused(NotReversible, "not_reversible", card):
        undo(finance, adjustment)
    freeze = freeze_card(actor=cashier, card_number=card.number)
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, freeze)


def test_an_operation_of_another_business_day_is_not_reversed(cashier):
    # Given a purchase made today
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    # When the cashier tries to reverse it on the next business day
    tomorrow = today() + dt.timedelta(days=1)
    with (
        mock.patch("membercard.operations.corrections.today", return_value=tomorrow),
        refused(NotReversible, "not_reversible", card),
    ):
        undo(cashier, op)


@pytest.mark.parametrize("kind", ["purchase", "top_up"])
def test_a_past_days_operation_says_so_not_only_a_manager(cashier, manager, finance, kind):
    """Issue #16: a cashier reversing a colleague's operation of a past day was told "Only a
    manager may reverse…", though no manager may either: the day is said first, and what
    to do instead (a refund, or HQ's adjustment)."""
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(manager, card, 1_000) if kind == "purchase" else add(finance, card, 1_000)
    colleague = f.actor(Role.STORE_CASHIER)
    tomorrow = today() + dt.timedelta(days=1)
    with (
        mock.patch("membercard.operations.corrections.today", return_value=tomorrow),
        refused(NotReversible, "not_reversible", card) as info,
    ):
        undo(colleague if kind == "purchase" else finance, op)
    assert "Only a manager" not in info.value.message
    assert today().isoformat() in info.value.message
    assert info.value.extra["business_date"] == today().isoformat()
    expected = "Refund it instead" if kind == "purchase" else "HQ can correct it"
    assert expected in info.value.message


def test_a_cashier_reverses_only_their_own_operations(cashier, manager):
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    colleague = f.actor(Role.STORE_CASHIER)
    with refused(NotPermitted, "not_permitted", card):
        undo(colleague, op)
    # The store manager may
    undo(manager, op)
    assert f.balances(card) == (5_000, 0, 0)


def test_a_terminal_reverses_only_its_own_operations(cashier, manager):
    card = f.sold_card(cashier, f.product(), 5_000)
    tills = [
        Actor.for_terminal(
            Terminal.objects.create(
                location=cashier.location, name=name, key_prefix=name, key_hash="x"
            )
        )
        for name in ("till-1", "till-2")
    ]
    op = pay(tills[0], card, 1_000)
    by_staff = pay(cashier, card, 100)
    with refused(NotPermitted, "not_permitted", card):
        undo(tills[1], op)
    with refused(NotPermitted, "not_permitted", card):
        undo(tills[1], by_staff)
    undo(tills[0], op)
    assert f.balances(card) == (4_900, 0, 0)


def test_another_stores_operation_is_not_found(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    with refused(NotFound, "not_found", card):
        undo(f.actor(Role.STORE_MANAGER, f.store("S02")), op)
    # HQ reverses only its own operations too (of the open day, where they were made)
    with refused(NotFound, "not_found", card):
        undo(f.actor(Role.HQ_FINANCE), op)
    with refused(NotFound, "not_found", card):
        reverse(actor=cashier, operation_id=10**9, idempotency_key=f.key())


def test_a_purchase_with_live_refunds_is_not_reversed(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    back = refund(actor=cashier, operation_id=op.pk, amount_minor=400, idempotency_key=f.key())
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, op)
    # Once the refund is reversed, the purchase can be
    undo(cashier, back)
    undo(cashier, op)
    assert f.balances(card) == (5_000, 0, 0)
    assert verify_ledger().problems == []


def test_an_operation_on_a_replaced_card_is_not_reversed(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    op = pay(cashier, card, 1_000)
    new = f.stock_card(card.product, cashier.location)
    replace_card(
        actor=cashier, old_number=card.number, new_number=new.number, idempotency_key=f.key()
    )
    with refused(NotReversible, "not_reversible", card, new):
        undo(cashier, op)


def test_a_purchase_before_the_card_was_handed_back_is_not_reversed(cashier, manager):
    # Given a one-time card spent to zero, handed back, restocked and sold again today
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    op = pay(cashier, card, 5_000)
    recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())
    restock_card(actor=manager, card_number=card.number)
    sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    # Then the first customer's purchase is not reversed onto the new owner's card
    with refused(NotReversible, "not_reversible", card):
        undo(cashier, op)


# Adjustments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bucket", "delta", "after", "house_code"),
    [
        ("principal", 700, (5_700, 500, 45), "adjustments:HQ"),
        ("principal", -700, (4_300, 500, 45), "adjustments:HQ"),
        ("bonus", 300, (5_000, 800, 45), "adjustments:HQ"),
        ("bonus", -500, (5_000, 0, 45), "adjustments:HQ"),
        ("points", 55, (5_000, 500, 100), "points_adjustments:HQ"),
        ("points", -45, (5_000, 500, 0), "points_adjustments:HQ"),
    ],
)
def test_hq_finance_adjusts_a_bucket(
    cashier, finance, rich_product, bucket, delta, after, house_code
):
    # Given a card with (5000, 500, 45 points)
    card = f.sold_card(cashier, rich_product, 10_000)
    pay(cashier, card, 5_500, allow_split=False)  # net 4950: principal 10000 -> 5050
    correct(finance, card, "principal", -50)
    assert f.balances(card) == (5_000, 500, 49)
    correct(finance, card, "points", -4)
    house_before = house(house_code)
    # When HQ finance adjusts one bucket with a reason
    op = correct(finance, card, bucket, delta, reason="  till error  ")
    # Then only that bucket moves, against HQ's adjustment account
    assert f.balances(card) == after
    assert house(house_code) == house_before - delta
    assert (op.kind, op.reason, op.details) == (
        OperationKind.ADJUSTMENT,
        "till error",
        {"bucket": bucket, "delta": delta},
    )
    money = abs(delta) if bucket != "points" else 0
    assert (op.gross_minor, op.net_minor) == (money, money)
    assert verify_ledger().problems == []


def test_a_frozen_card_can_be_adjusted(cashier, finance):
    card = f.sold_card(cashier, f.product(), 5_000)
    freeze_card(actor=cashier, card_number=card.number)
    correct(finance, card, "principal", 100)
    assert f.balances(card) == (5_100, 0, 0)


@pytest.mark.parametrize(
    ("role", "at"), [(Role.HQ_ADMIN, "HQ"), (Role.HQ_STOCK, "HQ"), (Role.STORE_MANAGER, "S01")]
)
def test_only_hq_finance_adjusts(cashier, role, at):
    card = f.sold_card(cashier, f.product(), 5_000)
    who = f.actor(role, f.hq() if at == "HQ" else f.store(at))
    with refused(NotPermitted, "not_permitted", card):
        correct(who, card, "principal", 100)


def test_finance_staff_placed_at_a_store_may_not_adjust(cashier):
    card = f.sold_card(cashier, f.product(), 5_000)
    # Actor.for_staff refuses such an account; the service does not rely on that alone
    misplaced = Actor(location=f.store(), role=Role.HQ_FINANCE, staff=cashier.staff)
    with refused(NotPermitted, "not_permitted", card):
        correct(misplaced, card, "principal", 100)


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_an_adjustment_needs_a_reason(cashier, finance, reason):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(ValidationFailed, "validation_error", card) as info:
        correct(finance, card, "principal", 100, reason=reason)
    assert info.value.extra == {"field": "reason"}


@pytest.mark.parametrize("bucket", ["", "value", "Principal", "card_principal"])
def test_an_adjustment_names_a_known_bucket(cashier, finance, bucket):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(ValidationFailed, "validation_error", card) as info:
        correct(finance, card, bucket, 100)
    assert info.value.extra == {"field": "bucket"}


@pytest.mark.parametrize("delta", [0, True, False, 1.5, "100", None])
def test_an_adjustment_is_a_whole_number_not_zero(cashier, finance, delta):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(ValidationFailed, "validation_error", card) as info:
        correct(finance, card, "principal", delta)
    assert info.value.extra == {"field": "delta"}


@pytest.mark.parametrize("delta", [MAX_AMOUNT_MINOR + 1, -MAX_AMOUNT_MINOR - 1])
def test_an_adjustment_has_the_same_limit_as_any_amount(cashier, finance, delta):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(InvalidAmount, "invalid_amount", card):
        correct(finance, card, "principal", delta)


@pytest.mark.parametrize(
    ("bucket", "delta", "error", "code"),
    [
        ("principal", -5_001, InsufficientBalance, "insufficient_balance"),
        ("bonus", -1, InsufficientBalance, "insufficient_balance"),
        ("points", -1, InsufficientPoints, "insufficient_points"),
    ],
)
def test_a_negative_adjustment_beyond_the_balance_is_refused(
    cashier, finance, bucket, delta, error, code
):
    card = f.sold_card(cashier, f.product(), 5_000)
    with refused(error, code, card):
        correct(finance, card, bucket, delta)


def test_a_card_not_in_a_customers_hands_is_not_adjusted(finance):
    card = f.stock_card(f.product(), f.store())
    with refused(CardNotActive, "card_not_active", card):
        correct(finance, card, "principal", 100)
    assert not Account.objects.filter(card=card).exists()
