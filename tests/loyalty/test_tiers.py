"""Membership tiers: upgrade on crossing a threshold (the crossing purchase is priced at the
OLD tier, the next one at the new), the period-end review, HQ's manual override, and the
record of every change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from membercard.core.actors import system_actor
from membercard.core.errors import NotFound, NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.loyalty.models import CardStanding, TierChange, TierChangeKind, TierReview
from membercard.loyalty.selectors import tier_status
from membercard.loyalty.services import review_tiers, set_tier
from membercard.loyalty.services.tiers import current_tier
from membercard.operations import refund, reverse, sell_card
from membercard.operations.card_life import replace_card
from tests import factories as f
from tests.ledger.helpers import pay, refused
from tests.loyalty.helpers import on_day, tiered_product

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 10)


@pytest.fixture
def card(cashier):
    with on_day(DAY):
        return f.sold_card(cashier, tiered_product(), 100_000, member=None)


def tier_code(card) -> str | None:
    tier = current_tier(card)
    return tier.code if tier else None


def test_the_purchase_that_crosses_the_threshold_is_priced_at_the_old_tier(cashier, card):
    with on_day(DAY):
        # Given 60.00 bought at the product's 5 % (57.00 net)
        first = pay(cashier, card, 6_000)
        assert (first.discount_minor, first.net_minor) == (300, 5_700)
        # When a purchase of 50.00 takes the spend to 104.50, past silver's 100.00
        crossing = pay(cashier, card, 5_000)
        # Then that purchase still gets 5 % and plain points...
        assert (crossing.discount_minor, crossing.net_minor) == (250, 4_750)
        assert crossing.details == {"points_earned": 47}
        # ...and the card is silver afterwards, recorded with the purchase that did it
        assert tier_code(card) == "silver"
        change = TierChange.objects.get(card=card)
        assert (change.kind, change.from_tier, change.to_tier.code, change.operation) == (
            TierChangeKind.UPGRADE,
            None,
            "silver",
            crossing,
        )
        assert (change.staff, change.location, change.business_date) == (
            cashier.staff,
            cashier.location,
            DAY,
        )
        # And the next purchase gets silver's 10 % (replacing the 5 %) and 1.5x points
        nxt = pay(cashier, card, 2_000)
        assert (nxt.discount_minor, nxt.net_minor) == (200, 1_800)
        assert nxt.details == {"points_earned": 27, "tier": "silver", "discount_rate_bp": 1_000}


def test_one_purchase_can_cross_two_tiers(cashier, card):
    with on_day(DAY):
        big = pay(cashier, card, 40_000)
        assert big.discount_minor == 2_000  # still 5 %
        assert tier_code(card) == "gold"
        assert pay(cashier, card, 1_000).discount_minor == 150


def test_points_can_qualify_as_well(cashier, card):
    """Gold is 300.00 spent *or* 500 points: 500 points earned lift a card with less spend."""
    with on_day(DAY):
        tier = card.product.tiers.get(code="gold")
        tier.min_spend_minor = 1_000_000
        tier.save()
        pay(cashier, card, 25_000)  # 237.50 net: silver, 237 points
        pay(cashier, card, 20_000)  # at silver: 180.00 net, 270 points: 507 in all
    assert tier_code(card) == "gold"
    assert tier_status(card, DAY).progress.points == 507


def test_refunds_reduce_the_spend_counted(cashier, card):
    with on_day(DAY):
        op = pay(cashier, card, 6_000)
        refund(actor=cashier, operation_id=op.pk, amount_minor=5_000, idempotency_key=f.key())
        pay(cashier, card, 5_000)  # 7.00 + 47.50: below 100.00
    assert tier_code(card) is None
    assert tier_status(card, DAY).progress.spend_minor == 5_450


def test_reversing_the_crossing_purchase_reverts_the_upgrade(cashier, card):
    with on_day(DAY):
        pay(cashier, card, 6_000)
        crossing = pay(cashier, card, 5_000)
        reverse(actor=cashier, operation_id=crossing.pk, idempotency_key=f.key())
    assert tier_code(card) is None
    kinds = list(TierChange.objects.filter(card=card).values_list("kind", flat=True))
    assert kinds == [TierChangeKind.UPGRADE, TierChangeKind.REVERTED]


def test_a_replacement_card_keeps_the_tier(cashier, card):
    with on_day(DAY):
        pay(cashier, card, 12_000)
        new = f.stock_card(card.product, cashier.location)
        replace_card(
            actor=cashier, old_number=card.number, new_number=new.number, idempotency_key=f.key()
        )
        assert (tier_code(new), tier_code(card)) == ("silver", None)
        assert pay(cashier, new, 1_000).discount_minor == 100
        # The spend of the replaced card still counts towards gold
        assert tier_status(new, DAY).progress.spend_minor == 11_400 + 900


# Period-end review -------------------------------------------------------------------------


def test_the_yearly_review_moves_down_cards_that_no_longer_qualify(cashier, card):
    with on_day(DAY):
        pay(cashier, card, 12_000)  # silver
    other = None
    with on_day(dt.date(2027, 5, 1)):
        other = f.sold_card(cashier, card.product, 100_000)
        pay(cashier, other, 12_000)
    with on_day(dt.date(2027, 7, 1)):
        pay(cashier, other, 2_000)
    # On 1 Jan 2028 the window is 2027: both cards spent enough and stay silver
    (review,) = review_tiers(actor=system_actor(), on=dt.date(2028, 1, 1))
    assert (review.cards_reviewed, review.cards_downgraded) == (2, 0)
    # On 1 Apr 2028 nothing is due (not a period end of a yearly review)
    assert review_tiers(actor=system_actor(), on=dt.date(2028, 4, 1)) == []
    # On 1 Jan 2029 the window is 2028, with no purchases: both lose their tier
    (review,) = review_tiers(actor=system_actor(), on=dt.date(2029, 1, 1))
    assert (review.cards_reviewed, review.cards_downgraded) == (2, 2)
    assert (tier_code(card), tier_code(other)) == (None, None)
    change = TierChange.objects.filter(card=card).last()
    assert (change.kind, change.from_tier.code, change.to_tier, change.staff) == (
        TierChangeKind.DOWNGRADE,
        "silver",
        None,
        None,
    )
    assert "2029-01-01" in change.reason
    assert change.business_date == dt.date(2029, 1, 1)


def test_the_review_moves_down_to_the_tier_still_met(cashier, card):
    with on_day(dt.date(2027, 1, 5)):
        pay(cashier, card, 40_000)  # gold
    with on_day(dt.date(2028, 2, 1)):
        pay(cashier, card, 12_000)  # at gold: 102.00 net in 2028
    review_tiers(actor=system_actor(), on=dt.date(2029, 1, 1))
    assert tier_code(card) == "silver"


def test_the_review_runs_once_per_date(cashier, card):
    with on_day(DAY):
        pay(cashier, card, 12_000)
    call_command("review-tiers", "--date", "2029-01-01")
    assert tier_code(card) is None
    # A manual upgrade after the review, then the same review again: nothing changes
    set_tier(actor=f.actor(Role.HQ_ADMIN), card_number=card.number, tier_code="gold", reason="VIP")
    call_command("review-tiers", "--date", "2029-01-01")
    assert review_tiers(actor=system_actor(), on=dt.date(2029, 1, 1)) == []
    assert tier_code(card) == "gold"
    assert TierReview.objects.count() == 1


def test_a_held_override_is_not_reviewed_down(cashier, card):
    admin = f.actor(Role.HQ_ADMIN)
    with on_day(DAY):
        set_tier(
            actor=admin, card_number=card.number, tier_code="gold", reason="Partner company",
            hold_until=dt.date(2029, 6, 30),
        )  # fmt: skip
    review_tiers(actor=system_actor(), on=dt.date(2029, 1, 1))
    assert tier_code(card) == "gold"
    review_tiers(actor=system_actor(), on=dt.date(2030, 1, 1))
    assert tier_code(card) is None


def test_products_without_a_review_never_move_down(cashier, card):
    card.product.loyalty_policy.tier_review = "none"
    card.product.loyalty_policy.save()
    with on_day(DAY):
        pay(cashier, card, 12_000)
    assert review_tiers(actor=system_actor(), on=dt.date(2029, 1, 1)) == []
    assert tier_code(card) == "silver"


# Manual override ---------------------------------------------------------------------------


def test_hq_overrides_a_tier_with_a_reason_and_it_is_recorded(card):
    finance = f.actor(Role.HQ_FINANCE)
    with on_day(DAY):
        change = set_tier(
            actor=finance, card_number=card.number, tier_code="gold", reason="Complaint goodwill"
        )
    assert tier_code(card) == "gold"
    assert (change.kind, change.from_tier, change.to_tier.code) == (
        TierChangeKind.OVERRIDE,
        None,
        "gold",
    )
    assert (change.staff, change.location, change.reason) == (
        finance.staff,
        finance.location,
        "Complaint goodwill",
    )
    # And back to no tier, recorded again
    with on_day(DAY):
        set_tier(actor=finance, card_number=card.number, tier_code=None, reason="Goodwill over")
    assert tier_code(card) is None
    assert TierChange.objects.filter(card=card).count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(card, reason):
    with refused(ValidationFailed, "validation_error", card):
        set_tier(actor=f.actor(Role.HQ_ADMIN), card_number=card.number, tier_code="gold",
                 reason=reason)  # fmt: skip
    assert not TierChange.objects.exists()


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.STORE_CASHIER, Role.HQ_STOCK])
def test_only_hq_admin_or_finance_override(card, role):
    with refused(NotPermitted, "not_permitted", card):
        set_tier(actor=f.actor(role), card_number=card.number, tier_code="gold", reason="x")
    assert not CardStanding.objects.filter(tier__isnull=False).exists()


def test_an_unknown_tier_is_refused(card):
    with refused(NotFound, "not_found", card):
        set_tier(actor=f.actor(Role.HQ_ADMIN), card_number=card.number, tier_code="platinum",
                 reason="x")  # fmt: skip


def test_a_reversed_sale_leaves_the_card_without_a_tier(cashier):
    admin = f.actor(Role.HQ_ADMIN)
    card = f.stock_card(tiered_product(), cashier.location)
    sale = sell_card(
        actor=cashier, card_number=card.number, initial_value_minor=10_000, tender="cash",
        idempotency_key=f.key(),
    )  # fmt: skip
    set_tier(actor=admin, card_number=card.number, tier_code="silver", reason="Launch offer")
    reverse(actor=cashier, operation_id=sale.pk, idempotency_key=f.key())
    card.refresh_from_db()
    assert (card.state, tier_code(card)) == ("in_stock", None)
    last = TierChange.objects.filter(card=card).last()
    assert (last.kind, last.from_tier.code, last.operation.reverses) == (
        TierChangeKind.RESET,
        "silver",
        sale,
    )
