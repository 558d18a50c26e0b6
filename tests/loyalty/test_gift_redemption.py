"""Gift redemption at the counter: points FIFO through the ledger, stock out of the store,
the receipt; refusals (no stock, too few points, gift not offered); idempotent replays; and
the reversal the same business day (points back into their lots, pieces back into stock)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from membercard.core.errors import (
    CardNotActive,
    IdempotencyConflict,
    InsufficientPoints,
    NotPermitted,
    NotReversible,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.ledger.models import OperationKind
from membercard.loyalty.errors import GiftNotAvailable, GiftNotFound, GiftOutOfStock
from membercard.loyalty.gift_selectors import redemption_receipt
from membercard.loyalty.models import (
    GiftMovementKind,
    GiftStock,
    GiftStockMovement,
    LotEvent,
    PointsLotEntry,
)
from membercard.loyalty.services.gifts import send_gift_stock
from membercard.loyalty.verify import verify_gift_stock
from membercard.operations import reverse
from membercard.operations.card_life import freeze_card
from membercard.operations.gifts import redeem_gift
from membercard.ops.verification import run_all_checks
from tests import factories as f
from tests.ledger.helpers import house, pay
from tests.ledger.test_concurrency import run_threads
from tests.loyalty.gift_helpers import new_gift, quantity, refused_gift, stocked
from tests.loyalty.helpers import lots, on_day, points_product

pytestmark = pytest.mark.django_db

APR_01, APR_02 = dt.date(2027, 4, 1), dt.date(2027, 4, 2)
LATE, EARLY = dt.date(2028, 12, 31), dt.date(2028, 3, 4)


def clean() -> None:
    assert [p for summary in run_all_checks() for p in summary.problems] == []


def redeem(actor, card, gift_code="MUG-01", quantity_=1, **kwargs):
    kwargs.setdefault("idempotency_key", f.key())
    return redeem_gift(
        actor=actor, card_number=card.number, gift_code=gift_code, quantity=quantity_, **kwargs
    )


@pytest.fixture
def card(cashier):
    """A card with 50 points in two lots: 30 earned first but expiring last (31 Dec 2028),
    20 earned later expiring first (4 Mar 2028)."""
    product = points_product({"points_expiry": "next_year_end"})
    card = f.sold_card(cashier, product, 50_000)
    with on_day(dt.date(2027, 1, 10)):
        pay(cashier, card, 3_000)
    product.loyalty_policy.points_expiry = "months"
    product.loyalty_policy.save()
    with on_day(dt.date(2027, 3, 5)):
        pay(cashier, card, 2_000)
    assert lots(card) == [(30, 30, LATE), (20, 20, EARLY)]
    return card


@pytest.fixture
def mug():
    """A mug for 10 points, 5 in stock at S01."""
    return stocked(new_gift("MUG-01", 10, name="Mug"), {f.store(): 5})


# Redeeming ---------------------------------------------------------------------------------


def test_a_redemption_takes_points_closest_to_expiry_first_and_a_piece_of_stock(cashier, card, mug):
    # When the cashier gives 3 mugs (30 points) for the card at S01
    with on_day(APR_01):
        op = redeem(cashier, card, "mug-01", 3, read_as="swipe")
    # Then the lot expiring first is emptied, and the rest comes from the other lot
    assert lots(card) == [(30, 20, LATE), (20, 0, EARLY)]
    drawn = PointsLotEntry.objects.filter(operation=op).values_list("event", "points")
    assert sorted(drawn) == [(LotEvent.REDEEM, -20), (LotEvent.REDEEM, -10)]
    # Through the ledger: the card's points to the store's points redeemed
    assert (op.kind, op.location, op.business_date, op.read_as) == (
        OperationKind.GIFT_REDEMPTION, cashier.location, APR_01, "swipe",
    )  # fmt: skip
    assert op.details == {
        "gift": "MUG-01", "gift_name": "Mug", "quantity": 3, "points_price": 10,
        "points_redeemed": 30,
    }  # fmt: skip
    assert (f.balances(card)[2], house("points_redeemed:S01")) == (20, 30)
    # And three mugs left S01's stock with a movement tied to the operation
    assert quantity(mug, f.store()) == 2
    movement = GiftStockMovement.objects.get(operation=op)
    assert (movement.kind, movement.delta, movement.balance_after, movement.staff) == (
        GiftMovementKind.REDEEMED, -3, 2, cashier.staff,
    )  # fmt: skip
    clean()


def test_the_receipt_prints_what_was_given_for_what(cashier, card, mug):
    with on_day(APR_01):
        op = redeem(cashier, card, quantity_=2)
        receipt = redemption_receipt(op)
    assert (receipt.receipt_number, receipt.store, receipt.store_code) == (
        op.receipt_number, "Store S01", "S01",
    )  # fmt: skip
    assert (receipt.time.date(), receipt.time.hour, receipt.business_date) == (APR_01, 12, APR_01)
    assert receipt.cashier == cashier.staff.username
    assert receipt.card == card.masked_number and card.number[-4:] in receipt.card
    assert (receipt.gift_code, receipt.gift_name, receipt.quantity) == ("MUG-01", "Mug", 2)
    assert (receipt.points_price, receipt.points_used, receipt.points_after) == (10, 20, 30)
    assert receipt.reversed_by is None


def test_a_store_without_the_gift_in_stock_redeems_nothing(card, mug):
    # Given a cashier at S02, which holds no mugs
    s02 = f.store("S02")
    there = f.actor(Role.STORE_CASHIER, s02)
    with on_day(APR_01), refused_gift(GiftOutOfStock, "gift_out_of_stock", card) as info:
        redeem(there, card)
    assert info.value.extra == {"gift": "MUG-01", "location": "S02", "available": 0, "needed": 1}
    # When HQ sends it one, it can give that one and no more
    stocked(mug, {s02: 1})
    with on_day(APR_01):
        redeem(there, card)
    with on_day(APR_01), refused_gift(GiftOutOfStock, "gift_out_of_stock", card) as info:
        redeem(there, card)
    assert (info.value.extra["available"], quantity(mug, s02)) == (0, 0)
    clean()


def test_more_pieces_than_in_stock_are_refused(cashier, card, mug):
    with on_day(APR_01), refused_gift(GiftOutOfStock, "gift_out_of_stock", card) as info:
        redeem(cashier, card, quantity_=6)
    assert (info.value.extra["available"], info.value.extra["needed"]) == (5, 6)


def test_too_few_points_redeem_nothing(cashier, card):
    stocked(new_gift("LAMP", 60), {f.store(): 1})
    with on_day(APR_01), refused_gift(InsufficientPoints, "insufficient_points", card) as info:
        redeem(cashier, card, "LAMP")
    assert info.value.extra == {"available": 50, "needed": 60}


def test_points_past_their_last_day_do_not_pay_for_gifts(cashier, card, mug):
    # On 5 Mar 2028 the 20-point lot is past its last day: 30 points are usable
    with on_day(dt.date(2028, 3, 5)), refused_gift(InsufficientPoints, "insufficient_points", card):
        redeem(cashier, card, quantity_=4)


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"active_from": APR_02},
        {"active_until": dt.date(2027, 3, 31)},
    ],
)
def test_a_gift_not_offered_today_is_refused(cashier, card, fields):
    gift = stocked(new_gift("CAP-01", 10, **fields), {f.store(): 5})
    with on_day(APR_01), refused_gift(GiftNotAvailable, "gift_not_available", card) as info:
        redeem(cashier, card, gift.code)
    assert info.value.extra == {"gift": "CAP-01"}


def test_gifts_on_their_first_and_last_day_are_offered(cashier, card):
    stocked(new_gift("CAP-01", 10, active_from=APR_01, active_until=APR_01), {f.store(): 5})
    with on_day(APR_01):
        redeem(cashier, card, "CAP-01")


@pytest.mark.parametrize("pieces", [0, 100, -1, True, "2"])
def test_the_quantity_is_1_to_99(cashier, card, mug, pieces):
    with on_day(APR_01), refused_gift(ValidationFailed, "validation_error", card) as info:
        redeem(cashier, card, quantity_=pieces)
    assert info.value.extra == {"field": "quantity"}


def test_other_refusals(cashier, card, mug):
    with on_day(APR_01), refused_gift(GiftNotFound, "gift_not_found", card):
        redeem(cashier, card, "NOPE")
    with on_day(APR_01), refused_gift(NotPermitted, "not_permitted", card):
        redeem(f.actor(Role.HQ_STOCK), card)
    freeze_card(actor=cashier, card_number=card.number, reason="lost")
    with on_day(APR_01), refused_gift(CardNotActive, "card_not_active", card):
        redeem(cashier, card)


def test_hq_redeems_from_hq_stock(card, mug):
    admin = f.actor(Role.HQ_ADMIN)
    stocked(mug, {f.hq(): 2})
    with on_day(APR_01):
        op = redeem(admin, card, quantity_=2)
    assert (op.location, quantity(mug, f.hq()), quantity(mug, f.store())) == (f.hq(), 0, 5)
    assert house("points_redeemed:HQ") == 20


def test_a_replay_returns_the_first_redemption(cashier, card, mug):
    with on_day(APR_01):
        first = redeem(cashier, card, quantity_=2, idempotency_key="till-7")
        again = redeem(cashier, card, quantity_=2, idempotency_key="till-7")
    assert again.pk == first.pk
    assert (f.balances(card)[2], quantity(mug, f.store())) == (30, 3)
    assert GiftStockMovement.objects.filter(kind=GiftMovementKind.REDEEMED).count() == 1
    # The same key for another request is refused
    with on_day(APR_01), refused_gift(IdempotencyConflict, "idempotency_conflict", card):
        redeem(cashier, card, quantity_=1, idempotency_key="till-7")


# Reversal ----------------------------------------------------------------------------------


def test_a_reversal_the_same_day_puts_points_in_their_lots_and_pieces_in_stock(
    cashier, manager, card, mug
):
    # Given a redemption of 3 mugs drawing both lots
    before = lots(card)
    with on_day(APR_01):
        op = redeem(cashier, card, quantity_=3)
        # When the manager reverses it that day
        back = reverse(
            actor=manager, operation_id=op.pk, idempotency_key=f.key(), reason="wrong card"
        )
        receipt = redemption_receipt(op)
    # Then the lots are as before, the points and stock are back, and the receipt says so
    assert lots(card) == before
    restored = PointsLotEntry.objects.filter(operation=back).values_list("event", "points")
    assert sorted(restored) == [(LotEvent.RESTORE, 10), (LotEvent.RESTORE, 20)]
    assert (f.balances(card)[2], house("points_redeemed:S01")) == (50, 0)
    assert quantity(mug, f.store()) == 5
    movement = GiftStockMovement.objects.get(operation=back)
    assert (movement.kind, movement.delta, movement.balance_after, movement.reason) == (
        GiftMovementKind.REDEMPTION_REVERSED, 3, 5, "wrong card",
    )  # fmt: skip
    assert (back.kind, back.reverses, receipt.reversed_by) == (
        OperationKind.REVERSAL, op, back.receipt_number,
    )  # fmt: skip
    clean()
    # And it cannot be reversed twice
    with on_day(APR_01), refused_gift(NotReversible, "not_reversible", card):
        reverse(actor=manager, operation_id=op.pk, idempotency_key=f.key())


def test_a_redemption_cannot_be_reversed_the_next_day(cashier, manager, card, mug):
    with on_day(APR_01):
        op = redeem(cashier, card)
    with on_day(APR_02), refused_gift(NotReversible, "not_reversible", card):
        reverse(actor=manager, operation_id=op.pk, idempotency_key=f.key())
    assert quantity(mug, f.store()) == 4


def test_membercard_verify_checks_gift_stock(cashier, card, mug):
    with on_day(APR_01):
        op = redeem(cashier, card)
        reverse(actor=cashier, operation_id=op.pk, idempotency_key=f.key())
    out = io.StringIO()
    call_command("verify", stdout=out)
    assert (
        "gift stock: clean (1 gift stock rows, 3 gift stock movements, 1 gift redemptions)"
    ) in out.getvalue()


def test_verify_finds_a_redemption_whose_stock_does_not_follow(cashier, card, mug):
    with on_day(APR_01):
        op = redeem(cashier, card, quantity_=2)
    # A piece put back "by" the redemption, stock and movements otherwise consistent
    GiftStockMovement.objects.create(
        gift=mug, location=f.store(), kind="adjustment", delta=1, balance_after=4, operation=op
    )
    GiftStock.objects.filter(gift=mug).update(quantity=4)
    assert verify_gift_stock().problems == [
        f"operation {op.pk}: moved -1 pieces of gift stock, expected -2"
    ]


# Concurrency -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_give_more_pieces_than_in_stock(cashier):
    """Eight cards race for three mugs while HQ sends two more: the stock row's lock lets
    exactly as many through as there are pieces, and nothing goes below zero."""
    product = points_product()
    cards = [f.sold_card(cashier, product, 5_000) for _ in range(8)]
    for each in cards:
        pay(cashier, each, 1_000)  # 10 points each
    mug = stocked(new_gift("MUG-01", 10), {f.store(): 3, f.hq(): 2})
    keeper = f.actor(Role.HQ_STOCK)

    def work(index: int) -> str:
        if index == len(cards):
            send_gift_stock(actor=keeper, gift_code="MUG-01", to_location=f.store(), quantity=2)
            return "sent"
        try:
            redeem(cashier, cards[index])
        except GiftOutOfStock:
            return "out of stock"
        return "redeemed"

    outcomes = run_threads(len(cards) + 1, work)
    redeemed = outcomes.count("redeemed")
    assert outcomes.count("sent") == 1
    assert 3 <= redeemed <= 5 and redeemed + outcomes.count("out of stock") == 8
    assert quantity(mug, f.store()) == 5 - redeemed
    clean()
