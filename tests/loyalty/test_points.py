"""Points: earning (rounding, exclusions, campaigns), lots and their FIFO use, conversion at
a purchase, the expiry job, replacement and recovery, and the points verify."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from membercard.core.actors import system_actor
from membercard.core.errors import InsufficientPoints, NotPermitted
from membercard.core.models import Role
from membercard.core.money import points_earned, points_for_value, points_value_minor
from membercard.ledger.accounts import house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind
from membercard.ledger.posting import Entry, lock_cards
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.errors import PointsNotConvertible
from membercard.loyalty.models import LotEvent, PointsLot, PointsLotEntry
from membercard.loyalty.selectors import card_points, points_expiring
from membercard.loyalty.services import spend_points
from membercard.loyalty.services.programs import save_campaign
from membercard.loyalty.verify import verify_points
from membercard.operations import adjust, refund, reverse
from membercard.operations.card_life import recover_card, replace_card
from membercard.operations.expiry import expire_points
from membercard.operations.posting import post
from tests import factories as f
from tests.ledger.helpers import house, pay, refused
from tests.loyalty.helpers import live_points, lots, on_day, points_product

pytestmark = pytest.mark.django_db

JAN_10, MAR_05, JUN_01 = dt.date(2027, 1, 10), dt.date(2027, 3, 5), dt.date(2027, 6, 1)


def clean() -> None:
    assert verify_ledger().problems == []
    assert verify_points().problems == []


# Rounding and earning rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "per_unit", "multipliers", "points"),
    [
        (1_099, 1, (), 10),  # 10.99 -> 10, rounded down
        (1_099, 1, (150,), 16),  # 16.485 -> 16
        (1_099, 1, (150, 200), 32),  # 32.97 -> 32: rounded once, not 2 * 16
        (99, 1, (200,), 1),  # 0.99 doubled is 1.98 -> 1
        (99, 1, (), 0),
        (1_000, 3, (100, 100), 30),
    ],
)
def test_points_round_down_once_after_every_multiplier(base, per_unit, multipliers, points):
    assert points_earned(base, per_unit, *multipliers) == points


def test_conversion_value_rounds_down_and_points_charged_round_up():
    # 3 points = 0.02: 100 points are worth 0.66 (66.67 rounded down), and 0.66 costs 99 points
    assert points_value_minor(100, 3, 2) == 66
    assert points_for_value(66, 3, 2) == 99
    assert points_value_minor(points_for_value(67, 3, 2), 3, 2) >= 67


def test_a_purchase_earns_a_lot_with_the_policy_expiry(cashier):
    product = points_product({"points_expiry": "months", "points_validity_months": 12})
    card = f.sold_card(cashier, product, 10_000)
    with on_day(MAR_05):
        op = pay(cashier, card, 1_999)
    assert op.details == {"points_earned": 19}
    # Usable through the day before the same date a year later
    assert lots(card) == [(19, 19, dt.date(2028, 3, 4))]
    entry = PointsLotEntry.objects.get(operation=op)
    assert (entry.event, entry.points) == (LotEvent.EARN, 19)
    clean()


@pytest.mark.parametrize(
    ("expiry", "expires_on"),
    [
        ("year_end", dt.date(2027, 12, 31)),
        ("next_year_end", dt.date(2028, 12, 31)),
        ("never", None),
    ],
)
def test_lot_expiry_by_policy(cashier, expiry, expires_on):
    card = f.sold_card(cashier, points_product({"points_expiry": expiry}), 10_000)
    with on_day(MAR_05):
        pay(cashier, card, 1_000)
    assert lots(card) == [(10, 10, expires_on)]


def test_no_points_on_the_part_paid_with_bonus_where_excluded(cashier):
    # Given 10.00 principal + 5.00 bonus, and no points on bonus value
    product = points_product({"points_exclude_bonus": True}, bonus_rules=[[1_000, 500]])
    card = f.sold_card(cashier, product, 1_000)
    # When 15.00 is paid from the card (principal first)
    op = pay(cashier, card, 1_500)
    # Then only the 10.00 of principal earns points
    assert op.details["points_earned"] == 10


def test_no_points_on_the_part_paid_outside_the_card_where_excluded(cashier):
    product = points_product({"points_exclude_other": True})
    card = f.sold_card(cashier, product, 2_000)
    op = pay(cashier, card, 5_000, allow_split=True, other_tender="cash")
    assert (op.paid_other_minor, op.details["points_earned"]) == (3_000, 20)


# Campaigns ---------------------------------------------------------------------------------


def test_a_campaign_multiplies_points_at_its_stores_on_its_dates(cashier):
    admin = f.actor(Role.HQ_ADMIN)
    s01, s02 = cashier.location, f.store("S02")
    product = points_product()
    with on_day(JUN_01):
        campaign = save_campaign(
            actor=admin, name="Double weekend", multiplier_pct=200, starts_on=JUN_01,
            ends_on=JUN_01 + dt.timedelta(days=1), stores=[s01],
        )  # fmt: skip
    card = f.sold_card(cashier, product, 20_000)
    other = f.actor(Role.STORE_CASHIER, s02)
    # At S01 during the weekend: double points, recorded with the campaign
    with on_day(JUN_01 + dt.timedelta(days=1)):
        doubled = pay(cashier, card, 1_050)
        elsewhere = pay(other, card, 1_050)
    with on_day(JUN_01 + dt.timedelta(days=2)):
        after = pay(cashier, card, 1_050)
    with on_day(JUN_01 - dt.timedelta(days=1)):
        before = pay(cashier, card, 1_050)
    assert doubled.details == {
        "points_earned": 21,
        "campaign": campaign.pk,
        "campaign_multiplier_pct": 200,
    }
    # Elsewhere, and outside its dates: the product's points only
    assert [op.details for op in (elsewhere, after, before)] == [{"points_earned": 10}] * 3
    clean()


def test_campaigns_do_not_stack_and_may_name_products(cashier):
    admin = f.actor(Role.HQ_ADMIN)
    product, other_product = points_product(), points_product()
    with on_day(JUN_01):
        save_campaign(actor=admin, name="All", multiplier_pct=150, starts_on=JUN_01, ends_on=JUN_01)
        best = save_campaign(
            actor=admin, name="Triple for one product", multiplier_pct=300, starts_on=JUN_01,
            ends_on=JUN_01, products=[product],
        )  # fmt: skip
        card = f.sold_card(cashier, product, 10_000)
        plain = f.sold_card(cashier, other_product, 10_000)
        op = pay(cashier, card, 1_000)
        op_plain = pay(cashier, plain, 1_000)
    assert (op.details["points_earned"], op.details["campaign"]) == (30, best.pk)
    assert op_plain.details["points_earned"] == 15


def test_only_hq_admin_runs_campaigns(manager):
    with refused(NotPermitted, "not_permitted"):
        save_campaign(actor=manager, name="x", multiplier_pct=200, starts_on=JUN_01, ends_on=JUN_01)


# FIFO by expiry ----------------------------------------------------------------------------


@pytest.fixture
def three_lots(cashier):
    """A card with three lots: 10 points never expiring (earned when the product had no
    expiry), 20 expiring 9 Jan 2028 and 30 expiring 4 Mar 2028; 100 points = 1.00."""
    product = points_product({"conversion_points": 100, "conversion_value_minor": 100})
    card = f.sold_card(cashier, product, 50_000)
    with on_day(dt.date(2026, 12, 1)):
        pay(cashier, card, 1_000)
    product.loyalty_policy.points_expiry = "months"
    product.loyalty_policy.save()
    with on_day(MAR_05):
        pay(cashier, card, 3_000)
    with on_day(JAN_10):
        pay(cashier, card, 2_000)
    assert lots(card) == [
        (10, 10, None),
        (30, 30, dt.date(2028, 3, 4)),
        (20, 20, dt.date(2028, 1, 9)),
    ]
    return card


def test_redemption_takes_the_lots_closest_to_expiry_first(cashier, three_lots):
    card = three_lots
    # When 45 points pay part of a purchase
    with on_day(dt.date(2027, 4, 1)):
        op = pay(cashier, card, 1_000, redeem_points=45)
    # Then the lot expiring first is emptied, then the next; the never-expiring lot is last
    assert lots(card)[:3] == [
        (10, 10, None),
        (30, 5, dt.date(2028, 3, 4)),
        (20, 0, dt.date(2028, 1, 9)),
    ]
    drawn = PointsLotEntry.objects.filter(operation=op, event=LotEvent.REDEEM)
    assert sorted(drawn.values_list("points", flat=True)) == [-25, -20]
    # And the rest of the purchase (9.55 net after 0.45 off) earns a new lot of 9 points
    assert (op.discount_minor, op.net_minor) == (45, 955)
    assert op.details == {"points_earned": 9, "points_redeemed": 45, "points_off_minor": 45}
    assert house("points_redeemed:S01") == 45
    clean()


def test_redemption_spans_every_lot_and_refuses_beyond(cashier, three_lots):
    card = three_lots
    with on_day(dt.date(2027, 4, 1)), refused(InsufficientPoints, "insufficient_points", card):
        pay(cashier, card, 10_000, redeem_points=61)
    with on_day(dt.date(2027, 4, 1)):
        pay(cashier, card, 10_000, redeem_points=60, pay_with_balance=False, other_tender="cash")
    assert [remaining for _, remaining, _ in lots(card)][:3] == [0, 0, 0]
    clean()


def test_points_past_their_last_day_cannot_be_spent_before_the_job_runs(cashier, three_lots):
    card = three_lots
    # On 10 Jan 2028 the 20-point lot is past its last day (9 Jan) but not yet expired
    with on_day(dt.date(2028, 1, 10)):
        assert card_points(card).usable == 40
        with refused(InsufficientPoints, "insufficient_points", card) as info:
            pay(cashier, card, 10_000, redeem_points=41)
    assert info.value.extra == {"available": 40, "needed": 41}


def test_conversion_never_pays_more_than_the_purchase(cashier, three_lots):
    # A purchase of 0.30 with 60 points offered takes only the 30 points worth 0.30
    with on_day(dt.date(2027, 4, 1)):
        op = pay(cashier, three_lots, 30, redeem_points=60)
    assert (op.net_minor, op.details["points_redeemed"]) == (0, 30)
    assert live_points(three_lots) == 30


def test_conversion_rounds_value_down_and_points_up(cashier):
    # Given 3 points = 0.02 and a card with 100 points
    policy = {"conversion_points": 3, "conversion_value_minor": 2}
    card = f.sold_card(cashier, points_product(policy), 50_000)
    pay(cashier, card, 10_000)
    # When 100 points are offered: they are worth 0.66, which costs 99 points
    op = pay(cashier, card, 1_000, redeem_points=100)
    assert (op.details["points_redeemed"], op.details["points_off_minor"]) == (99, 66)
    assert f.balances(card)[2] == 100 - 99 + 9  # 9.34 net earns 9


def test_a_product_without_conversion_refuses_points_as_payment(cashier):
    card = f.sold_card(cashier, points_product(), 10_000)
    pay(cashier, card, 5_000)
    with refused(PointsNotConvertible, "points_not_convertible", card):
        pay(cashier, card, 1_000, redeem_points=10)


def test_reversing_a_purchase_paid_with_points_puts_them_back_in_their_lots(cashier, three_lots):
    card = three_lots
    before = lots(card)
    with on_day(dt.date(2027, 4, 1)):
        op = pay(cashier, card, 1_000, redeem_points=45)
        reverse(actor=cashier, operation_id=op.pk, idempotency_key=f.key())
    # The drawn lots are whole again and the lot the purchase earned is empty
    assert lots(card)[:3] == before
    assert lots(card)[3][1] == 0
    clean()


def test_refunding_a_purchase_paid_with_points_gives_them_back_pro_rata(cashier, three_lots):
    card = three_lots
    with on_day(dt.date(2027, 4, 1)):
        op = pay(cashier, card, 1_000, redeem_points=45)  # net 9.55, 9 points earned
        half = give_back(cashier, op, 477)
        rest = give_back(cashier, op, 478)
    assert (half.details["points_returned"], rest.details["points_returned"]) == (22, 23)
    assert house("points_redeemed:S01") == 0
    assert [remaining for _, remaining, _ in lots(card)][:3] == [10, 30, 20]
    clean()


def give_back(actor, op, amount):
    return refund(actor=actor, operation_id=op.pk, amount_minor=amount, idempotency_key=f.key())


def test_spend_points_helper_for_other_operations(cashier, three_lots):
    """The helper a gift redemption uses: points leave FIFO through the ledger."""
    card = three_lots
    with on_day(dt.date(2027, 4, 1)), transaction.atomic():
        (locked,) = lock_cards(card.number)
        entry = Entry(OperationKind.ADJUSTMENT, locked, fields={"reason": "gift"})
        credit = house_account(AccountKind.POINTS_REDEEMED, location=cashier.location)
        book = spend_points(
            card=locked, points=25, entry=entry, credit=credit, on=dt.date(2027, 4, 1)
        )
        op = post(entry, actor=cashier, points=book)
    assert [remaining for _, remaining, _ in lots(card)] == [10, 25, 0]
    assert Operation.objects.get(pk=op.pk).transfers.get().amount == 25
    clean()


# Expiry job --------------------------------------------------------------------------------


def test_the_expiry_job_expires_due_lots_once(cashier, three_lots):
    card = three_lots
    # Nothing is due while every lot is within its dates
    assert expire_points(actor=system_actor(), on=dt.date(2028, 1, 9)).operations == []
    # On 10 Jan 2028 the 20-point lot is due
    run = expire_points(actor=system_actor(), on=dt.date(2028, 1, 10))
    (op,) = run.operations
    assert (op.kind, op.card, run.points) == (OperationKind.POINTS_EXPIRE, card, 20)
    assert op.details == {"expired_before": "2028-01-10", "points_expired": 20}
    assert [remaining for _, remaining, _ in lots(card)] == [10, 30, 0]
    assert house("points_expired:HQ") == 20
    assert f.balances(card)[2] == 40
    # Run again for the same date (or through the command): nothing more happens
    assert expire_points(actor=system_actor(), on=dt.date(2028, 1, 10)).operations == []
    call_command("expire-points", "--date", "2028-01-10")
    assert Operation.objects.filter(kind=OperationKind.POINTS_EXPIRE).count() == 1
    # A later run takes the next lot; the never-expiring one stays
    call_command("expire-points", "--date", "2029-01-01")
    assert [remaining for _, remaining, _ in lots(card)] == [10, 0, 0]
    assert house("points_expired:HQ") == 50
    clean()


def test_only_hq_runs_the_expiry_job(cashier):
    with refused(NotPermitted, "not_permitted"):
        expire_points(actor=cashier, on=dt.date(2028, 1, 10))


def test_points_expiring_in_the_next_30_days(cashier, three_lots):
    rows = points_expiring(on=dt.date(2027, 12, 15), days=30)
    assert [(r.expires_on, r.points, r.cards) for r in rows] == [(dt.date(2028, 1, 9), 20, 1)]
    assert points_expiring(on=dt.date(2027, 12, 9), days=30) == []
    call_command("points-expiring", "--date", "2027-12-15")


# Replacement, recovery, adjustments --------------------------------------------------------


def test_a_replacement_continues_every_lot_on_the_new_card(cashier, three_lots):
    old = three_lots
    new = f.stock_card(old.product, cashier.location)
    replace_card(
        actor=cashier, old_number=old.number, new_number=new.number, idempotency_key=f.key()
    )
    assert [remaining for _, remaining, _ in lots(old)] == [0, 0, 0]
    # Continued in the order they are used: closest to expiry first
    assert lots(new) == [
        (20, 20, dt.date(2028, 1, 9)),
        (30, 30, dt.date(2028, 3, 4)),
        (10, 10, None),
    ]
    continued = PointsLot.objects.filter(card=new)
    assert all(lot.origin.card_id == old.pk for lot in continued)
    # And they still expire on their own dates
    expire_points(actor=system_actor(), on=dt.date(2028, 1, 10))
    assert f.balances(new)[2] == 40
    clean()


def test_recovery_lapses_every_lot(cashier):
    product = points_product(rechargeable=False, face_values=[5_000])
    card = f.sold_card(cashier, product, 5_000)
    pay(cashier, card, 5_000)
    recover_card(actor=cashier, card_number=card.number, idempotency_key=f.key())
    assert lots(card) == [(50, 0, None)]
    assert PointsLotEntry.objects.filter(event=LotEvent.LAPSE).get().points == -50
    clean()


def test_adjustments_open_a_lot_or_take_the_closest_to_expiry(cashier, finance, three_lots):
    card = three_lots

    def correct(delta):
        adjust(
            actor=finance, card_number=card.number, bucket="points", delta=delta,
            reason="correction", idempotency_key=f.key(),
        )  # fmt: skip

    with on_day(dt.date(2027, 4, 1)):
        correct(-25)
        correct(7)
    assert lots(card) == [
        (10, 10, None),
        (30, 25, dt.date(2028, 3, 4)),
        (20, 0, dt.date(2028, 1, 9)),
        (7, 7, dt.date(2028, 3, 31)),
    ]
    clean()


def test_verify_finds_lots_that_do_not_match_the_ledger(cashier, three_lots):
    clean()
    PointsLot.objects.filter(card=three_lots, points=30).update(remaining=29)
    problems = verify_points().problems
    assert len(problems) == 2
    assert "lots hold 59" in problems[0]
    assert "entries give 30" in problems[1]


def test_membercard_verify_checks_the_points(cashier, three_lots):
    out = io.StringIO()
    call_command("verify", stdout=out)
    assert "points: clean (1 card points accounts, 3 points lots)" in out.getvalue()
    PointsLot.objects.filter(card=three_lots, points=30).update(remaining=29)
    with pytest.raises(CommandError):
        call_command("verify", stdout=io.StringIO())
