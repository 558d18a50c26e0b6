"""A member's card starts at its tier at once: sold to a member, or linked to one at
registration, it gets the product's entry tier (no threshold) before any purchase, and its
first purchase is priced at that tier. An anonymous card waits for its first purchase,
as before; a product without an entry tier gives none."""

from __future__ import annotations

import pytest

from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.models import Member, Tier, TierChange, TierChangeKind
from membercard.loyalty.services import link_card, register_and_link
from membercard.loyalty.services.tiers import current_tier
from tests import factories as f
from tests.ledger.helpers import pay
from tests.loyalty.helpers import tiered_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    """The tiered product (5 % off, silver from 100.00 at 10 %, gold...) with an entry
    tier "Member" for everyone: 8 % off."""
    item = tiered_product()
    Tier.objects.create(product=item, code="member", name="Member", rank=0, discount_rate_bp=800)
    return item


def tier_code(card) -> str | None:
    tier = current_tier(card)
    return tier.code if tier else None


def member() -> Member:
    return Member.objects.create(name="Li Lei", mobile="13800138000")


def test_a_card_sold_to_a_member_gets_the_entry_tier_at_once(cashier, product):
    card = f.sold_card(cashier, product, 10_000, member=member())
    assert tier_code(card) == "member"
    change = TierChange.objects.get(card=card)
    sale = Operation.objects.get(card=card, kind=OperationKind.CARD_SALE)
    assert (change.kind, change.from_tier, change.operation) == (TierChangeKind.UPGRADE, None, sale)
    # Its very first purchase is priced at the tier: 8 % off, not the product's 5 %.
    first = pay(cashier, card, 1_000)
    assert first.discount_minor == 80


def test_a_card_sold_with_a_new_members_mobile_gets_it_too(cashier, product):
    card = f.sold_card(cashier, product, 10_000, member_name="Han Mei", member_mobile="13700137000")
    assert tier_code(card) == "member"


def test_an_anonymous_card_waits_for_its_first_purchase(cashier, product):
    card = f.sold_card(cashier, product, 10_000)
    assert tier_code(card) is None
    assert pay(cashier, card, 1_000).discount_minor == 50
    assert tier_code(card) == "member"


def test_a_card_linked_at_registration_gets_the_entry_tier(cashier, product):
    card = f.sold_card(cashier, product, 10_000)
    register_and_link(
        actor=cashier, card_number=card.number, name="Wang Fang", mobile="13900139000"
    )
    assert tier_code(card) == "member"
    other = f.sold_card(cashier, product, 10_000)
    link_card(actor=cashier, card_number=other.number, member_id=member().pk)
    assert tier_code(other) == "member"


def test_a_linked_card_keeps_the_tier_it_already_has(cashier, product):
    card = f.sold_card(cashier, product, 100_000)
    pay(cashier, card, 12_000)  # silver
    link_card(actor=cashier, card_number=card.number, member_id=member().pk)
    assert tier_code(card) == "silver"
    assert TierChange.objects.filter(card=card).count() == 1  # the link adds no change


def test_without_an_entry_tier_a_members_card_has_none_until_it_qualifies(cashier):
    card = f.sold_card(cashier, tiered_product(), 10_000, member=member())
    assert tier_code(card) is None
    assert not TierChange.objects.filter(card=card).exists()
