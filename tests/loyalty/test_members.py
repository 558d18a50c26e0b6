"""Members: registration and changes (audited), search by card, mobile and name, mobile
numbers masked outside HQ, bulk reads and exports audited."""

from __future__ import annotations

import datetime as dt

import pytest

from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.loyalty.errors import MemberExists
from membercard.loyalty.models import Member, MemberAccessLog
from membercard.loyalty.selectors import (
    export_members,
    member_detail,
    points_expiring_cards,
    search_members,
)
from membercard.loyalty.services import link_card, register_member, update_member
from tests import factories as f
from tests.ledger.helpers import pay
from tests.loyalty.helpers import on_day, points_product

pytestmark = pytest.mark.django_db


def log_rows() -> list[tuple[str, int]]:
    return list(MemberAccessLog.objects.order_by("pk").values_list("action", "count"))


@pytest.fixture
def members(cashier):
    return [
        register_member(actor=cashier, name="Wang Fang", mobile="+86 138-0013-5678"),
        register_member(actor=cashier, name="Wang Lei", mobile="13900005678"),
        register_member(actor=cashier, name="Li Na", mobile="13700001234", marketing_sms=True),
    ]


def test_a_member_is_registered_with_a_normalised_mobile(cashier, members):
    wang = members[0]
    assert (wang.mobile, wang.registered_at, wang.marketing_sms) == (
        "13800135678",
        cashier.location,
        False,
    )
    assert members[2].consent_updated_at is not None
    assert log_rows() == [("member.registered", 1)] * 3
    assert MemberAccessLog.objects.first().staff == cashier.staff


def test_a_mobile_number_is_one_member(cashier, members):
    with pytest.raises(MemberExists) as info:
        register_member(actor=cashier, name="Someone", mobile="0086 13800135678")
    assert info.value.code == "member_exists"
    assert Member.objects.count() == 3


@pytest.mark.parametrize(
    ("name", "mobile", "field"), [("", "13800000000", "name"), ("X", "12", "mobile")]
)
def test_registration_needs_a_name_and_a_valid_mobile(cashier, name, mobile, field):
    with pytest.raises(ValidationFailed) as info:
        register_member(actor=cashier, name=name, mobile=mobile)
    assert info.value.extra == {"field": field}


def test_an_update_records_which_fields_changed_never_their_values(cashier, members):
    wang = members[0]
    update_member(
        actor=cashier, member_id=wang.pk, mobile="13800139999", birthday=dt.date(1990, 5, 1),
        marketing_sms=True, address="10.0.0.7",
    )  # fmt: skip
    wang.refresh_from_db()
    assert (wang.mobile, wang.birthday, wang.marketing_sms) == (
        "13800139999",
        dt.date(1990, 5, 1),
        True,
    )
    row = MemberAccessLog.objects.order_by("pk").last()
    assert (row.action, row.member, row.address) == ("member.updated", wang, "10.0.0.7")
    assert row.data == {"fields": ["birthday", "marketing_sms", "mobile"]}
    # Taking another member's mobile is refused
    with pytest.raises(MemberExists):
        update_member(actor=cashier, member_id=wang.pk, mobile="13900005678")


def test_the_stock_keeper_does_not_handle_members():
    with pytest.raises(NotPermitted):
        register_member(actor=f.actor(Role.HQ_STOCK), name="X", mobile="13800000000")


# Search and masking ------------------------------------------------------------------------


def test_a_store_sees_only_the_last_four_digits(cashier, members):
    (found,) = search_members(actor=cashier, mobile="13800135678")
    assert (found.name, found.mobile) == ("Wang Fang", "*******5678")


def test_hq_sees_the_whole_number(finance, members):
    (found,) = search_members(actor=finance, mobile="138 0013 5678")
    assert found.mobile == "13800135678"


def test_search_by_card_reader_input(cashier, members):
    card = f.sold_card(cashier, points_product(), 10_000, member=members[2])
    (found,) = search_members(actor=cashier, card_input=f" {card.number} ")
    assert (found.name, found.mobile) == ("Li Na", "*******1234")
    assert [c.number for c in found.cards] == [card.masked_number]
    # A single member is not a bulk read
    assert ("member.search", 1) not in log_rows()


def test_a_search_listing_several_members_is_audited(cashier, members):
    found = search_members(actor=cashier, mobile="5678", address="192.0.2.1")
    assert [m.mobile for m in found] == ["*******5678", "*******5678"]
    row = MemberAccessLog.objects.order_by("pk").last()
    assert (row.action, row.count, row.staff, row.location, row.address) == (
        "member.search",
        2,
        cashier.staff,
        cashier.location,
        "192.0.2.1",
    )
    assert row.data == {"by": "mobile", "digits": 4}
    # By name as well
    assert [m.name for m in search_members(actor=cashier, name="wang")] == [
        "Wang Fang",
        "Wang Lei",
    ]
    assert log_rows()[-1] == ("member.search", 2)


def test_a_search_needs_one_criterion_and_four_digits(cashier, members):
    with pytest.raises(ValidationFailed):
        search_members(actor=cashier)
    with pytest.raises(ValidationFailed):
        search_members(actor=cashier, mobile="678")


def test_member_detail_is_masked_outside_hq(cashier, finance, members):
    assert member_detail(actor=cashier, member_id=members[1].pk).mobile == "*******5678"
    assert member_detail(actor=finance, member_id=members[1].pk).mobile == "13900005678"


def test_an_export_is_for_hq_and_audited(cashier, finance, members):
    with pytest.raises(NotPermitted):
        export_members(actor=cashier)
    rows = export_members(actor=finance)
    assert [r["mobile"] for r in rows] == ["13800135678", "13900005678", "13700001234"]
    assert log_rows()[-1] == ("member.export", 3)


def test_the_expiring_points_list_names_members_masked_and_audited(cashier, members):
    product = points_product({"points_expiry": "year_end"})
    with on_day(dt.date(2027, 6, 1)):
        for member in members[:2]:
            pay(cashier, f.sold_card(cashier, product, 10_000, member=member), 1_000)
    rows = points_expiring_cards(actor=cashier, on=dt.date(2027, 12, 15))
    assert [(r.member_name, r.mobile, r.points) for r in rows] == [
        ("Wang Fang", "*******5678", 10),
        ("Wang Lei", "*******5678", 10),
    ]
    assert log_rows()[-1] == ("points.expiring_report", 2)


# Cards -------------------------------------------------------------------------------------


def test_an_anonymous_card_is_registered_to_a_member(cashier, members):
    card = f.sold_card(cashier, points_product(), 10_000)
    link_card(actor=cashier, card_number=card.number, member_id=members[0].pk)
    card.refresh_from_db()
    assert card.member == members[0]
    assert log_rows()[-1] == ("member.card_linked", 1)
    # Moving it to someone else is for HQ
    with pytest.raises(NotPermitted):
        link_card(actor=cashier, card_number=card.number, member_id=members[1].pk)
    link_card(actor=f.actor(Role.HQ_ADMIN), card_number=card.number, member_id=members[1].pk)
    card.refresh_from_db()
    assert card.member == members[1]
