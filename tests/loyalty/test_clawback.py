"""Refunds and reversals take back the points a purchase earned, lot first.

Rule: the points due (pro rata of the net refunded, rounded down) come first from the
lot the purchase created, then from the card's other lots closest to expiry; what the
card no longer holds is the shortfall. Where the product lets points go negative the
card owes the shortfall (paid from the next points earned, nothing can be spent
meanwhile); otherwise it is recorded and written off.
"""

from __future__ import annotations

import datetime as dt

import pytest

from membercard.core.errors import InsufficientPoints
from membercard.core.models import Role
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.errors import PointsOwed
from membercard.loyalty.models import LotEvent, PointsLotEntry
from membercard.loyalty.selectors import card_points
from membercard.loyalty.verify import verify_points
from membercard.operations import adjust, refund, reverse
from membercard.operations.card_life import replace_card
from tests import factories as f
from tests.ledger.helpers import house, pay, refused
from tests.loyalty.helpers import lots, on_day, points_product

pytestmark = pytest.mark.django_db

CONVERT = {"conversion_points": 1, "conversion_value_minor": 1, "points_expiry": "months"}


def give_back(actor, op, amount):
    """Refund as the manager of ``actor``'s store: these refunds come on later business days,
    which the counter refund rule leaves to a manager (core/permissions.py)."""
    manager = f.actor(Role.STORE_MANAGER, actor.location)
    return refund(actor=manager, operation_id=op.pk, amount_minor=amount, idempotency_key=f.key())


def take(finance, card, points):
    adjust(
        actor=finance, card_number=card.number, bucket="points", delta=-points,
        reason="gift redeemed", idempotency_key=f.key(),
    )  # fmt: skip


def clean() -> None:
    assert verify_ledger().problems == []
    assert verify_points().problems == []


@pytest.fixture
def two_purchases(cashier):
    """An older lot of 30 (expires 31 Jan 2028) and the lot of the purchase to refund:
    50 points, expiring 31 May 2028."""
    card = f.sold_card(cashier, points_product(CONVERT), 50_000)
    with on_day(dt.date(2027, 2, 1)):
        pay(cashier, card, 3_000)
    with on_day(dt.date(2027, 6, 1)):
        op = pay(cashier, card, 5_000)
    assert lots(card) == [(30, 30, dt.date(2028, 1, 31)), (50, 50, dt.date(2028, 5, 31))]
    return card, op


def test_a_refund_takes_back_the_lot_its_purchase_created(cashier, two_purchases):
    card, op = two_purchases
    # When 20.00 of the 50.00 purchase is refunded
    back = give_back(cashier, op, 2_000)
    # Then its 20 points come out of the purchase's own lot, although the other expires first
    assert back.details == {"points_taken_back": 20, "points_shortfall": 0}
    assert lots(card) == [(30, 30, dt.date(2028, 1, 31)), (50, 30, dt.date(2028, 5, 31))]
    entry = PointsLotEntry.objects.get(operation=back)
    assert (entry.event, entry.points) == (LotEvent.TAKE_BACK, -20)
    clean()


def test_a_spent_lot_is_made_up_from_the_other_lots(cashier, two_purchases):
    card, op = two_purchases
    # Given 40 points spent at a purchase: 30 from the older lot, 10 from the purchase's
    with on_day(dt.date(2027, 6, 2)):
        pay(cashier, card, 40, redeem_points=40)  # all paid with points: earns nothing
    assert [r for _, r, _ in lots(card)] == [0, 40]
    # When the 50.00 purchase is refunded in full
    back = give_back(cashier, op, 5_000)
    # Then its own lot's 40 come back, then 10 more from other lots (none left): shortfall 10
    assert back.details == {"points_taken_back": 40, "points_shortfall": 10}
    assert f.balances(card)[2] == 0
    clean()


def test_claw_back_reaches_other_lots_before_a_shortfall(cashier, finance, two_purchases):
    card, op = two_purchases
    # Given 75 points spent (the older lot's 30, then 45 of the purchase's lot), and a
    # later purchase earning a new lot of 30
    with on_day(dt.date(2027, 6, 2)):
        pay(cashier, card, 75, redeem_points=75)
    assert [r for _, r, _ in lots(card)] == [0, 5]
    with on_day(dt.date(2027, 6, 3)):
        pay(cashier, card, 3_000)
    # When the purchase is refunded in full (50 due)
    back = give_back(cashier, op, 5_000)
    # Then 5 come from its lot and the other 30 from the lot earned since; 15 are short
    assert back.details == {"points_taken_back": 35, "points_shortfall": 15}
    assert [r for _, r, _ in lots(card)] == [0, 0, 0]
    clean()


def test_a_shortfall_is_written_off_by_default(cashier, finance, two_purchases):
    card, op = two_purchases
    take(finance, card, 80)
    back = give_back(cashier, op, 5_000)
    assert back.details == {"points_taken_back": 0, "points_shortfall": 50}
    assert card_points(card).owed == 0
    # and the card earns and spends normally afterwards
    pay(cashier, card, 1_000)
    assert f.balances(card)[2] == 10
    clean()


def test_where_allowed_the_card_owes_the_shortfall(cashier, finance):
    # Given a product that lets points go negative, a purchase earning 50 and all spent
    policy = {**CONVERT, "points_may_go_negative": True}
    card = f.sold_card(cashier, points_product(policy), 50_000)
    op = pay(cashier, card, 5_000)
    take(finance, card, 45)
    # When it is refunded: 5 taken back, the card owes the other 45
    back = give_back(cashier, op, 5_000)
    assert back.details == {"points_taken_back": 5, "points_shortfall": 45, "points_owed": 45}
    assert (card_points(card).owed, card_points(card).net) == (45, -45)
    # Then nothing can be spent meanwhile
    with refused(PointsOwed, "points_owed", card):
        pay(cashier, card, 100, redeem_points=1)
    # And the next 30 points earned go to the debt; then 20 more leave 5 on the card
    first = pay(cashier, card, 3_000)
    second = pay(cashier, card, 2_000)
    assert first.details == {"points_earned": 30, "points_debt_repaid": 30}
    assert second.details == {"points_earned": 20, "points_debt_repaid": 15}
    assert (f.balances(card)[2], card_points(card).owed) == (5, 0)
    assert lots(card)[-1] == (5, 5, lots(card)[-1][2])
    clean()


def test_reversing_the_refund_cancels_the_debt(cashier, manager, finance):
    policy = {**CONVERT, "points_may_go_negative": True}
    card = f.sold_card(cashier, points_product(policy), 50_000)
    op = pay(cashier, card, 5_000)
    take(finance, card, 50)
    back = give_back(cashier, op, 5_000)
    assert card_points(card).owed == 50
    reverse(actor=manager, operation_id=back.pk, idempotency_key=f.key())
    assert card_points(card).owed == 0
    clean()


def test_partial_refunds_take_back_exactly_what_was_earned(cashier, two_purchases):
    card, op = two_purchases
    parts = [1_099, 1, 2_900, 1_000]
    refunds = [give_back(cashier, op, amount) for amount in parts]
    assert [r.details["points_taken_back"] for r in refunds] == [10, 1, 29, 10]
    assert lots(card) == [(30, 30, dt.date(2028, 1, 31)), (50, 0, dt.date(2028, 5, 31))]
    clean()


def test_reversing_a_refund_puts_the_points_back_in_the_same_lot(cashier, manager, two_purchases):
    card, op = two_purchases
    back = give_back(cashier, op, 2_000)
    reverse(actor=manager, operation_id=back.pk, idempotency_key=f.key())
    assert lots(card) == [(30, 30, dt.date(2028, 1, 31)), (50, 50, dt.date(2028, 5, 31))]
    clean()


def test_reversing_a_purchase_takes_its_lot_back(cashier, two_purchases):
    card, op = two_purchases
    with on_day(op.business_date):
        reverse(actor=cashier, operation_id=op.pk, idempotency_key=f.key())
    assert lots(card) == [(30, 30, dt.date(2028, 1, 31)), (50, 0, dt.date(2028, 5, 31))]
    assert house("points_issued:HQ") == -30
    clean()


def test_a_purchase_whose_points_are_gone_is_not_reversed(cashier, finance, two_purchases):
    """A reversal is an exact mirror: when the card no longer holds the points it is refused
    (undo the redemption first, or refund the purchase, which records a shortfall)."""
    card, op = two_purchases
    take(finance, card, 40)
    with on_day(op.business_date), refused(InsufficientPoints, "insufficient_points", card):
        reverse(actor=cashier, operation_id=op.pk, idempotency_key=f.key())


def test_a_refund_after_a_replacement_claws_back_the_continued_lot(cashier, two_purchases):
    card, op = two_purchases
    new = f.stock_card(card.product, cashier.location)
    replace_card(
        actor=cashier, old_number=card.number, new_number=new.number, idempotency_key=f.key()
    )
    back = give_back(cashier, op, 2_000)
    assert back.card == new
    assert sorted(lots(new)) == [(30, 30, dt.date(2028, 1, 31)), (50, 30, dt.date(2028, 5, 31))]
    clean()
