"""Paying with a card and refunding purchases (membercard.operations.payments)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from membercard.cards.models import Card
from membercard.core.calendar import today
from membercard.core.errors import (
    CardExpired,
    CardNotActive,
    InsufficientBalance,
    InvalidAmount,
    NotFound,
    NotPermitted,
    RefundExceedsPurchase,
    ValidationFailed,
    WrongPin,
)
from membercard.core.models import Role
from membercard.core.money import MAX_AMOUNT_MINOR
from membercard.ledger.models import (
    AccountKind,
    Operation,
    OperationKind,
    Transfer,
)
from membercard.ledger.verify import verify_ledger
from membercard.operations import adjust, refund, reverse, sell_card, top_up
from membercard.operations.card_life import freeze_card, recover_card, replace_card, restock_card
from tests import factories as f
from tests.ledger.helpers import house, pay, refused

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def give_back(actor, op, amount, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return refund(actor=actor, operation_id=op.pk, amount_minor=amount, **kwargs)


def bucket_moves(op: Operation) -> dict[str, int]:
    """What ``op`` moved into (+) or out of (-) the card's buckets, by bucket."""
    moved: dict[str, int] = {}
    for t in op.transfers.select_related("debit_account", "credit_account"):
        for account, sign in ((t.credit_account, 1), (t.debit_account, -1)):
            if account.card_id is not None:
                moved[account.kind] = moved.get(account.kind, 0) + sign * t.amount
    return moved


# Purchases ---------------------------------------------------------------------------------


def test_a_purchase_takes_the_discount_rounded_down(cashier):
    # Given a 5 % discount card with 100.00
    card = f.sold_card(cashier, f.product(has_discount=True, discount_rate_bp=500), 10_000)
    # When the customer buys for 19.99
    op = pay(cashier, card, 1_999, reference="till-42")
    # Then the discount is 0.99 (0.9995 rounded down) and 19.00 leaves the card
    assert (op.kind, op.gross_minor, op.discount_minor, op.net_minor) == (
        OperationKind.PURCHASE,
        1_999,
        99,
        1_900,
    )
    assert (op.paid_other_minor, op.tender, op.reference) == (0, "", "till-42")
    assert f.balances(card) == (8_100, 0, 0)
    assert house("value_redeemed:S01") == 1_900
    assert verify_ledger().problems == []


def test_a_card_without_discount_pays_the_gross(cashier):
    card = f.sold_card(cashier, f.product(), 10_000)
    op = pay(cashier, card, 1_999)
    assert (op.discount_minor, op.net_minor) == (0, 1_999)


def test_the_whole_balance_can_be_spent(cashier):
    card = f.sold_card(cashier, f.product(bonus_rules=[[1_000, 100]]), 1_000)
    pay(cashier, card, 1_100)
    assert f.balances(card) == (0, 0, 0)


def test_a_purchase_beyond_the_balance_is_refused(cashier):
    # Given a card with 10.00 principal and 1.00 bonus
    card = f.sold_card(cashier, f.product(bonus_rules=[[1_000, 100]]), 1_000)
    # When the customer tries to pay 11.01 from it, nothing changes
    with refused(InsufficientBalance, "insufficient_balance", card) as info:
        pay(cashier, card, 1_101)
    assert info.value.extra == {"available_minor": 1_100, "needed_minor": 1_101}


def test_a_split_payment_takes_the_balance_and_the_rest_otherwise(cashier):
    # Given a card with 30.00
    card = f.sold_card(cashier, f.product(), 3_000)
    # When the customer pays 50.00 allowing a split, the rest by mobile pay
    op = pay(cashier, card, 5_000, allow_split=True, other_tender="mobile_pay")
    # Then the card is emptied and 20.00 is recorded as paid otherwise
    assert (op.net_minor, op.paid_other_minor, op.tender) == (5_000, 2_000, "mobile_pay")
    assert f.balances(card) == (0, 0, 0)
    assert house("value_redeemed:S01") == 3_000
    assert verify_ledger().problems == []


def test_a_split_that_is_not_needed_pays_all_from_the_card(cashier):
    card = f.sold_card(cashier, f.product(), 3_000)
    op = pay(cashier, card, 1_000, allow_split=True, other_tender="cash")
    assert (op.paid_other_minor, op.tender) == (0, "")
    assert f.balances(card) == (2_000, 0, 0)


def test_not_paying_with_the_balance_still_gives_discount_and_points(cashier):
    # Given a discount + points card with 100.00
    product = f.product(
        has_discount=True, discount_rate_bp=1_000, has_points=True, points_per_unit=1
    )
    card = f.sold_card(cashier, product, 10_000)
    # When the customer shows it but pays 50.00 in cash
    op = pay(cashier, card, 5_000, pay_with_balance=False, other_tender="cash")
    # Then the balance is untouched, the discount is given and points are earned
    assert (op.discount_minor, op.net_minor, op.paid_other_minor) == (500, 4_500, 4_500)
    assert f.balances(card) == (10_000, 0, 45)
    assert verify_ledger().problems == []


@pytest.mark.parametrize(
    ("order", "after"),
    [("principal_first", (0, 500, 0)), ("bonus_first", (500, 0, 0))],
)
def test_the_spend_order_picks_the_bucket(cashier, order, after):
    # Given 100.00 principal and 10.00 bonus
    card = f.sold_card(cashier, f.product(bonus_rules=[[10_000, 1_000]], spend_order=order))
    # When 105.00 is spent
    op = pay(cashier, card, 10_500)
    # Then the product's order decides which bucket empties first
    assert f.balances(card) == after
    principal, bonus, _ = after
    assert bucket_moves(op) == {
        k: v
        for k, v in {
            AccountKind.CARD_PRINCIPAL: principal - 10_000,
            AccountKind.CARD_BONUS: bonus - 1_000,
        }.items()
        if v
    }


@pytest.mark.parametrize(("per_unit", "points"), [(1, 19), (3, 59), (10, 199)])
def test_points_are_earned_on_the_net_rounded_down(cashier, per_unit, points):
    card = f.sold_card(cashier, f.product(has_points=True, points_per_unit=per_unit), 10_000)
    op = pay(cashier, card, 1_999)
    assert op.details == {"points_earned": points}
    assert f.balances(card) == (8_001, 0, points)
    assert house("points_issued:HQ") == -points


def test_points_are_earned_after_the_discount(cashier):
    product = f.product(has_discount=True, discount_rate_bp=500, has_points=True, points_per_unit=1)
    card = f.sold_card(cashier, product, 10_000)
    pay(cashier, card, 1_999)  # net 19.00
    assert f.balances(card)[2] == 19


def test_a_pin_card_pays_only_with_its_pin(cashier):
    # Given a card that needs its PIN
    card = f.sold_card(cashier, f.product(pin_required=True), 10_000, pin="4321")
    # Then a missing or wrong PIN is refused without any change
    for pin in (None, "", "1234"):
        with refused(WrongPin, "wrong_pin", card):
            pay(cashier, card, 1_000, pin=pin)
    # And the right one pays
    pay(cashier, card, 1_000, pin="4321")
    assert f.balances(card) == (9_000, 0, 0)


def test_the_part_paid_otherwise_names_a_known_tender(cashier):
    card = f.sold_card(cashier, f.product(), 1_000)
    with refused(ValidationFailed, "validation_error", card):
        pay(cashier, card, 5_000, allow_split=True, other_tender="bitcoin")


def test_no_pin_is_asked_when_nothing_comes_from_the_card(cashier):
    card = f.sold_card(cashier, f.product(pin_required=True), 10_000, pin="4321")
    op = pay(cashier, card, 1_000, pay_with_balance=False, other_tender="cash")
    assert op.paid_other_minor == 1_000


def test_a_membership_card_records_discount_pays_otherwise_and_earns_points(cashier):
    # Given a card without stored value: 10 % discount and points
    product = f.product(
        has_stored_value=False,
        rechargeable=False,
        has_discount=True,
        discount_rate_bp=1_000,
        has_points=True,
        points_per_unit=2,
    )
    card = f.sold_card(cashier, product, 0, tender="")
    # When the member buys for 50.00
    op = pay(cashier, card, 5_000, other_tender="cash")
    # Then the discount is recorded, everything is paid otherwise, points are earned
    assert (op.gross_minor, op.discount_minor, op.net_minor) == (5_000, 500, 4_500)
    assert (op.paid_other_minor, op.tender) == (4_500, "cash")
    assert f.balances(card) == (0, 0, 90)
    assert verify_ledger().problems == []


def test_a_frozen_card_does_not_pay(cashier):
    card = f.sold_card(cashier, f.product(), 10_000)
    freeze_card(actor=cashier, card_number=card.number)
    with refused(CardNotActive, "card_not_active", card):
        pay(cashier, card, 100)


def test_an_expired_card_does_not_pay(cashier):
    card = f.sold_card(cashier, f.product(validity_months=1), 10_000)
    Card.objects.filter(pk=card.pk).update(expires_on=today() - dt.timedelta(days=1))
    with refused(CardExpired, "card_expired", card):
        pay(cashier, card, 100)


def test_the_hq_stock_keeper_takes_no_payments(cashier):
    card = f.sold_card(cashier, f.product(), 10_000)
    with refused(NotPermitted, "not_permitted", card):
        pay(f.actor(Role.HQ_STOCK), card, 100)


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT_MINOR + 1, 1.5, True, "100"])
def test_an_insane_purchase_amount_is_refused(cashier, amount):
    card = f.sold_card(cashier, f.product(), 10_000)
    with refused(InvalidAmount, "invalid_amount", card):
        pay(cashier, card, amount)


# Refunds -----------------------------------------------------------------------------------


@pytest.fixture
def mixed(cashier):
    """A purchase of 30.00 paid 10.00 principal, 5.00 bonus and 15.00 by bank card, earning
    30 points: the card has (0, 0, 30) after it."""
    product = f.product(bonus_rules=[[1_000, 500]], has_points=True, points_per_unit=1)
    card = f.sold_card(cashier, product, 1_000)
    op = pay(cashier, card, 3_000, allow_split=True, other_tender="bank_card")
    assert (op.paid_other_minor, op.details) == (1_500, {"points_earned": 30})
    assert f.balances(card) == (0, 0, 30)
    return card, op


def test_a_full_refund_returns_every_bucket(cashier, mixed):
    card, op = mixed
    # When the whole purchase is refunded
    back = give_back(cashier, op, 3_000, reason="faulty")
    # Then principal and bonus return to the card, the bank card part is paid back, the
    # points go back to where they came from
    assert f.balances(card) == (1_000, 500, 0)
    assert (back.kind, back.gross_minor, back.net_minor) == (OperationKind.REFUND, 3_000, 3_000)
    assert (back.paid_other_minor, back.tender, back.refund_of, back.reason) == (
        1_500,
        "bank_card",
        op,
        "faulty",
    )
    assert back.details == {"points_taken_back": 30, "points_shortfall": 0}
    assert house("value_redeemed:S01") == 0
    assert verify_ledger().problems == []


def test_partial_refunds_add_up_exactly_to_the_purchase(cashier, mixed):
    card, op = mixed
    # When the purchase is refunded in awkward parts
    parts = [1_000, 777, 1, 333, 889]
    refunds = [give_back(cashier, op, amount) for amount in parts]
    # Then, bucket by bucket, the refunds give back exactly what the purchase took
    principal = sum(bucket_moves(r).get(AccountKind.CARD_PRINCIPAL, 0) for r in refunds)
    bonus = sum(bucket_moves(r).get(AccountKind.CARD_BONUS, 0) for r in refunds)
    other = sum(r.paid_other_minor for r in refunds)
    points = sum(r.details["points_taken_back"] for r in refunds)
    assert (principal, bonus, other, points) == (1_000, 500, 1_500, 30)
    assert f.balances(card) == (1_000, 500, 0)
    # And each refund is split pro rata: the first 10.00 is a third of each part, rounded
    # down, the unit left over going to the principal
    assert bucket_moves(refunds[0]) == {
        AccountKind.CARD_PRINCIPAL: 334,
        AccountKind.CARD_BONUS: 166,
        AccountKind.CARD_POINTS: -10,
    }
    assert refunds[0].paid_other_minor == 500
    # And nothing is left to refund
    with refused(RefundExceedsPurchase, "refund_exceeds_purchase", card) as info:
        give_back(cashier, op, 1)
    assert info.value.extra == {"refundable_minor": 0}
    assert verify_ledger().problems == []


def test_a_refund_is_never_more_than_the_purchase(cashier, mixed):
    card, op = mixed
    with refused(RefundExceedsPurchase, "refund_exceeds_purchase", card) as info:
        give_back(cashier, op, 3_001)
    assert info.value.extra == {"refundable_minor": 3_000}


def test_refunds_are_never_more_than_the_purchase_together(cashier, mixed):
    card, op = mixed
    give_back(cashier, op, 2_000)
    with refused(RefundExceedsPurchase, "refund_exceeds_purchase", card) as info:
        give_back(cashier, op, 1_001)
    assert info.value.extra == {"refundable_minor": 1_000}
    give_back(cashier, op, 1_000)
    assert f.balances(card) == (1_000, 500, 0)


def test_a_reversed_refund_can_be_refunded_again(cashier, mixed):
    card, op = mixed
    first = give_back(cashier, op, 3_000)
    reverse(actor=cashier, operation_id=first.pk, idempotency_key=f.key())
    assert f.balances(card) == (0, 0, 30)
    give_back(cashier, op, 3_000)
    assert f.balances(card) == (1_000, 500, 0)
    assert verify_ledger().problems == []


def test_points_already_spent_are_recorded_as_a_shortfall(cashier, finance, mixed):
    # Given the customer spent 25 of the 30 points the purchase earned
    card, op = mixed
    adjust(
        actor=finance,
        card_number=card.number,
        bucket="points",
        delta=-25,
        reason="gift redeemed",
        idempotency_key=f.key(),
    )
    # When half the purchase is refunded: 15 points are due, 5 are there
    half = give_back(cashier, op, 1_500)
    assert half.details == {"points_taken_back": 5, "points_shortfall": 10}
    assert f.balances(card)[2] == 0
    # And the second half is due the other 15, none there
    rest = give_back(cashier, op, 1_500)
    assert rest.details == {"points_taken_back": 0, "points_shortfall": 15}
    assert verify_ledger().problems == []


def test_points_come_back_pro_rata_rounded_down(cashier, mixed):
    card, op = mixed
    first = give_back(cashier, op, 1_099)  # 30 * 1099 / 3000 = 10.99 -> 10
    second = give_back(cashier, op, 1)  # 30 * 1100 / 3000 = 11 -> 1 more
    assert (first.details["points_taken_back"], second.details["points_taken_back"]) == (10, 1)
    assert f.balances(card)[2] == 19


def test_refunds_never_take_back_more_points_than_the_purchase_earned(cashier):
    # Given a card with 50 points from an earlier purchase, then a purchase of 10.00 earning 10
    card = f.sold_card(cashier, f.product(has_points=True, points_per_unit=1), 20_000)
    pay(cashier, card, 5_000)
    op = pay(cashier, card, 1_000)
    assert f.balances(card)[2] == 60
    # When 9.99 is refunded (9 points), then 0.01 (1 point), and the first refund is reversed
    big = give_back(cashier, op, 999)
    give_back(cashier, op, 1)
    reverse(actor=cashier, operation_id=big.pk, idempotency_key=f.key())
    assert f.balances(card)[2] == 59
    # And the remaining 9.99 is refunded in two parts
    give_back(cashier, op, 1)
    give_back(cashier, op, 998)
    # Then, over the live refunds, exactly the 10 points earned were taken back, no more
    live = op.refunds.filter(reversed_by__isnull=True)
    taken = [r.details["points_taken_back"] for r in live]
    assert all(points >= 0 for points in taken)
    assert sum(taken) == 10
    assert sum(r.details["points_shortfall"] for r in live) == 0
    assert f.balances(card)[2] == 50
    assert verify_ledger().problems == []


def test_a_reversed_purchase_is_not_refunded(cashier, mixed):
    card, op = mixed
    reverse(actor=cashier, operation_id=op.pk, idempotency_key=f.key())
    with refused(RefundExceedsPurchase, "refund_exceeds_purchase", card):
        give_back(cashier, op, 100)


def test_a_store_cannot_refund_another_stores_purchase(cashier, mixed):
    card, op = mixed
    other = f.actor(Role.STORE_MANAGER, f.store("S02"))
    with refused(NotFound, "not_found", card):
        give_back(other, op, 100)


def test_hq_may_refund_a_stores_purchase(finance, mixed):
    card, op = mixed
    back = give_back(finance, op, 3_000)
    # The refund is HQ's operation; the value comes back out of the store's redemptions
    assert back.location == f.hq()
    assert house("value_redeemed:S01") == 0
    assert f.balances(card) == (1_000, 500, 0)


def test_only_purchases_are_refunded(cashier, finance):
    card = f.sold_card(cashier, f.product(), 1_000)
    top = top_up(
        actor=finance, card_number=card.number, amount_minor=500, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    with refused(NotFound, "not_found", card):
        give_back(finance, top, 100)
    with refused(NotFound, "not_found", card):
        refund(actor=finance, operation_id=10**9, amount_minor=1, idempotency_key=f.key())


def test_a_refund_goes_to_the_card_that_replaced_the_original(cashier, mixed):
    # Given the card that paid was since replaced (lost)
    card, op = mixed
    new = f.stock_card(card.product, cashier.location)
    replace_card(
        actor=cashier, old_number=card.number, new_number=new.number, idempotency_key=f.key()
    )
    assert f.balances(new) == (0, 0, 30)
    # When the purchase is refunded
    back = give_back(cashier, op, 3_000)
    # Then the value and points are settled on the replacement card; the old stays empty
    assert back.card == new
    assert f.balances(new) == (1_000, 500, 0)
    assert f.balances(card) == (0, 0, 0)
    assert verify_ledger().problems == []


def test_a_refund_goes_to_an_active_card_only(cashier, mixed):
    card, op = mixed
    Card.objects.filter(pk=card.pk).update(state="expired")
    with refused(CardNotActive, "card_not_active", card):
        give_back(cashier, op, 100)


@pytest.mark.parametrize("amount", [0, -100, 1.0, True])
def test_an_insane_refund_amount_is_refused(cashier, mixed, amount):
    card, op = mixed
    with refused(InvalidAmount, "invalid_amount", card):
        give_back(cashier, op, amount)


def test_refunded_value_comes_out_of_the_stores_redemptions(cashier, mixed):
    _, op = mixed
    assert house("value_redeemed:S01") == 1_500
    give_back(cashier, op, 600)
    assert house("value_redeemed:S01") == 1_200
    total = Transfer.objects.filter(operation__kind=OperationKind.REFUND).aggregate(t=Sum("amount"))
    assert total["t"] == 300 + 6  # value (principal 200 + bonus 100) and 6 points


def test_a_purchase_before_the_card_was_handed_back_is_not_refunded_to_its_next_owner(cashier):
    # Given a one-time card spent to zero, handed back, restocked and sold to someone else
    manager = f.actor(Role.STORE_MANAGER)
    card = f.sold_card(cashier, f.product(rechargeable=False, face_values=[5_000]), 5_000)
    op = pay(cashier, card, 5_000)
    recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())
    restock_card(actor=manager, card_number=card.number)
    sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=5_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    # When the first customer's purchase is refunded, the new owner's card gets nothing
    with refused(CardNotActive, "card_not_active", card):
        give_back(cashier, op, 5_000)
