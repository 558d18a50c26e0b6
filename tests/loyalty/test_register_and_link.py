"""Registering the card's customer and linking the card at the counter is one business
operation (``register_and_link``): a refused link leaves no member behind."""

from __future__ import annotations

import pytest

from membercard.cards.states import CardState
from membercard.core.errors import CardNotActive, CardNotFound, NotPermitted
from membercard.core.models import Role
from membercard.loyalty.errors import MemberExists
from membercard.loyalty.models import Member, MemberAccessLog
from membercard.loyalty.services import register_and_link
from tests import factories as f

pytestmark = pytest.mark.django_db


def register(actor, card_number: str, mobile: str = "13900139000", **kwargs):
    return register_and_link(
        actor=actor, card_number=card_number, name="Wang Fang", mobile=mobile, **kwargs
    )


def log_rows() -> list[str]:
    return list(MemberAccessLog.objects.order_by("pk").values_list("action", flat=True))


def test_the_member_is_registered_and_the_card_linked_together(cashier):
    card = f.sold_card(cashier, value_minor=10_000)
    member = register(cashier, card.number, marketing_sms=True, address="10.0.0.7")
    card.refresh_from_db()
    assert card.member == member
    assert (member.mobile, member.registered_at, member.marketing_sms) == (
        "13900139000",
        cashier.location,
        True,
    )
    assert log_rows() == ["member.registered", "member.card_linked"]
    assert set(MemberAccessLog.objects.values_list("address", flat=True)) == {"10.0.0.7"}


def test_a_card_not_in_a_customers_hands_leaves_no_member(cashier):
    card = f.stock_card(f.product(), cashier.location)
    with pytest.raises(CardNotActive):
        register(cashier, card.number)
    assert not Member.objects.exists()
    assert log_rows() == []
    card.refresh_from_db()
    assert (card.state, card.member) == (CardState.IN_STOCK, None)


def test_a_card_of_another_member_leaves_no_member_at_a_store(cashier):
    owner = Member.objects.create(name="Zhou Min", mobile="13500000001")
    card = f.sold_card(cashier, value_minor=10_000, member=owner)
    with pytest.raises(NotPermitted):
        register(cashier, card.number)
    assert list(Member.objects.all()) == [owner]
    card.refresh_from_db()
    assert card.member == owner


def test_hq_may_register_a_new_member_for_a_card_that_had_another(cashier):
    owner = Member.objects.create(name="Zhou Min", mobile="13500000001")
    card = f.sold_card(cashier, value_minor=10_000, member=owner)
    member = register(f.actor(Role.HQ_ADMIN), card.number)
    card.refresh_from_db()
    assert card.member == member != owner


def test_an_unknown_card_leaves_no_member(cashier):
    with pytest.raises(CardNotFound):
        register(cashier, "6000000000000000")
    assert not Member.objects.exists()


def test_a_taken_mobile_is_refused_and_the_card_stays_anonymous(cashier):
    Member.objects.create(name="Someone", mobile="13900139000")
    card = f.sold_card(cashier, value_minor=10_000)
    with pytest.raises(MemberExists):
        register(cashier, card.number, mobile="+86 139-0013-9000")
    card.refresh_from_db()
    assert card.member is None
    assert Member.objects.count() == 1


def test_only_roles_that_register_members_may(cashier):
    card = f.sold_card(cashier, value_minor=10_000)
    with pytest.raises(NotPermitted):
        register(f.actor(Role.HQ_STOCK), card.number)
    assert not Member.objects.exists()
