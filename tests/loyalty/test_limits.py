"""Prepaid limits on sale and top-up (anonymous 1 000.00, registered 5 000.00 by default,
editable at HQ), and products sold only to members."""

from __future__ import annotations

import pytest

from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.loyalty.errors import MemberRequired, PrepaidLimitExceeded
from membercard.loyalty.models import Member, PrepaidLimits
from membercard.loyalty.services import current_limits, set_prepaid_limits
from membercard.operations import sell_card
from tests import factories as f
from tests.ledger.helpers import add, refused
from tests.loyalty.helpers import points_product

pytestmark = pytest.mark.django_db


def sell(actor, card, value, **kwargs):
    return sell_card(
        actor=actor, card_number=card.number, initial_value_minor=value, tender="cash",
        idempotency_key=f.key(), **kwargs,
    )  # fmt: skip


@pytest.fixture
def member():
    return Member.objects.create(name="Zhou Min", mobile="13500000001")


def test_the_defaults_are_1000_anonymous_and_5000_registered():
    limits = current_limits()
    assert (limits.anonymous_limit_minor, limits.registered_limit_minor) == (100_000, 500_000)


def test_an_anonymous_card_is_not_sold_beyond_its_limit(cashier):
    card = f.stock_card(f.product(), cashier.location)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        sell(cashier, card, 100_001)
    assert info.value.extra == {"limit_minor": 100_000, "headroom_minor": 100_000,
                                "registered": False}  # fmt: skip
    assert "1,000.00" in info.value.message
    sell(cashier, card, 100_000)


def test_the_bonus_counts_towards_the_limit(cashier):
    # 950.00 earns 100.00 bonus: 1 050.00 on the card is over the anonymous limit
    card = f.stock_card(f.product(bonus_rules=[[95_000, 10_000]]), cashier.location)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card):
        sell(cashier, card, 95_000)


def test_a_registered_card_takes_up_to_5000(cashier, member):
    card = f.stock_card(f.product(), cashier.location)
    sell(cashier, card, 500_000, member=member)
    other = f.stock_card(f.product(), cashier.location)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", other) as info:
        sell(cashier, other, 500_001, member=member)
    assert info.value.extra["registered"] is True


def test_a_top_up_beyond_the_limit_is_refused_with_the_headroom(cashier, finance):
    card = f.sold_card(cashier, f.product(), 80_000)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        add(finance, card, 30_000)
    assert (info.value.extra["limit_minor"], info.value.extra["headroom_minor"]) == (
        100_000,
        20_000,
    )
    add(finance, card, 20_000)
    assert f.balances(card)[:2] == (100_000, 0)


def test_a_registered_card_tops_up_further(cashier, finance, member):
    card = f.sold_card(cashier, f.product(), 80_000, member=member)
    add(finance, card, 300_000)
    assert f.balances(card)[0] == 380_000


def test_hq_changes_the_limits_and_each_change_is_kept(cashier, finance):
    set_prepaid_limits(
        actor=finance, anonymous_limit_minor=50_000, registered_limit_minor=200_000,
        reason="Regulator guidance",
    )  # fmt: skip
    card = f.stock_card(f.product(), cashier.location)
    with refused(PrepaidLimitExceeded, "prepaid_limit_exceeded", card) as info:
        sell(cashier, card, 60_000)
    assert info.value.extra["limit_minor"] == 50_000
    latest = PrepaidLimits.objects.get()
    assert (latest.changed_by, latest.reason) == (finance.staff, "Regulator guidance")


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.HQ_STOCK])
def test_only_hq_admin_or_finance_change_the_limits(role):
    with pytest.raises(NotPermitted):
        set_prepaid_limits(actor=f.actor(role), anonymous_limit_minor=1,
                           registered_limit_minor=2, reason="x")  # fmt: skip
    assert not PrepaidLimits.objects.exists()


def test_limits_are_sane_and_explained(finance):
    with pytest.raises(ValidationFailed):
        set_prepaid_limits(actor=finance, anonymous_limit_minor=3, registered_limit_minor=2,
                           reason="x")  # fmt: skip
    with pytest.raises(ValidationFailed):
        set_prepaid_limits(actor=finance, anonymous_limit_minor=1, registered_limit_minor=2,
                           reason=" ")  # fmt: skip


def test_a_product_may_be_sold_only_to_members(cashier, member):
    product = points_product({"requires_member": True})
    card = f.stock_card(product, cashier.location)
    with refused(MemberRequired, "member_required", card):
        sell(cashier, card, 10_000)
    sell(cashier, card, 10_000, member=member)
