"""Finding a customer's cards without the card (membercard.loyalty.lost_cards): by a whole
mobile number or part of a name, only the asker's own customers' issued cards, masked,
throttled with the card look-ups and audited."""

from __future__ import annotations

import pytest

from membercard.cards import lookups
from membercard.cards.models import LookupMiss
from membercard.core.errors import NotPermitted, Throttled, ValidationFailed
from membercard.core.models import AuditEvent, AuditKind, Role
from membercard.loyalty.lost_cards import AUDIT_ACTION, find_members_cards
from membercard.loyalty.models import MemberAccessLog
from membercard.operations.card_life import freeze_card, replace_card
from tests import factories as f

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"


@pytest.fixture
def s01_seller():
    return f.actor(Role.STORE_MANAGER, f.store("S01"))


@pytest.fixture
def s02_seller():
    return f.actor(Role.STORE_MANAGER, f.store("S02"))


def member_card(seller, mobile: str = MOBILE, name: str = "Wang Xiaoming", **kwargs):
    return f.sold_card(seller, member_name=name, member_mobile=mobile, **kwargs)


def test_a_store_finds_its_customers_cards_by_the_whole_mobile_masked(s01_seller):
    card = member_card(s01_seller)
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))

    (found,) = find_members_cards(actor=cashier, mobile="139 1234 5678")

    assert found.card == card
    assert found.masked_number == "•••• " + card.number[-4:]
    assert card.number not in found.masked_number
    assert (found.member_name, found.state) == ("Wang Xiaoming", "active")


def test_another_stores_customer_is_not_found_but_hq_finds_them(s01_seller, s02_seller):
    theirs = member_card(s02_seller)
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))

    assert find_members_cards(actor=cashier, mobile=MOBILE) == []
    assert find_members_cards(actor=cashier, name="Xiaoming") == []
    finance = f.actor(Role.HQ_FINANCE)
    assert [found.card for found in find_members_cards(actor=finance, mobile=MOBILE)] == [theirs]


def test_a_member_registered_here_is_found_with_a_card_sold_elsewhere(s01_seller, s02_seller):
    member_card(s01_seller)  # registers the member at S01
    elsewhere = member_card(s02_seller)  # the same member buys a second card at S01's neighbour
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))

    found = find_members_cards(actor=cashier, mobile=MOBILE)

    assert elsewhere in [line.card for line in found] and len(found) == 2


def test_only_cards_that_can_be_frozen_or_replaced_are_listed(s01_seller):
    lost = member_card(s01_seller)
    new = f.stock_card(lost.product, s01_seller.location)
    replace_card(
        actor=s01_seller, old_number=lost.number, new_number=new.number, idempotency_key=f.key()
    )
    freeze_card(actor=s01_seller, card_number=new.number)

    found = find_members_cards(actor=s01_seller, mobile=MOBILE)

    assert [(line.card.pk, line.state) for line in found] == [(new.pk, "frozen")]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"mobile": "5678"}, "mobile"),  # the last digits are not enough
        ({"mobile": "1391234"}, None),  # a whole number is matched exactly: nothing found
        ({"name": "Wa"}, "name"),
        ({"name": "   "}, None),
        ({}, None),
        ({"mobile": MOBILE, "name": "Wang"}, None),
    ],
)
def test_no_wildcard_or_partial_mobile_lists_members(s01_seller, given, field):
    member_card(s01_seller)
    try:
        found = find_members_cards(actor=s01_seller, **given)
    except ValidationFailed as refused:
        assert refused.extra.get("field") == field
    else:
        assert given == {"mobile": "1391234"} and found == []


def test_every_search_is_audited_with_the_term_masked_and_the_count(s01_seller):
    member_card(s01_seller)

    find_members_cards(actor=s01_seller, mobile=MOBILE, address="10.0.0.9")
    find_members_cards(actor=s01_seller, name="nobody at all")

    by_mobile, by_name = AuditEvent.objects.filter(
        kind=AuditKind.MEMBER_BULK_READ, what=AUDIT_ACTION
    ).order_by("pk")
    assert by_mobile.staff == s01_seller.staff and by_mobile.address == "10.0.0.9"
    assert by_mobile.details["count"] == 1 and by_mobile.details["by"] == "mobile"
    assert by_mobile.details["mobile"] == "*******5678"
    assert by_mobile.details["fingerprint"].startswith("fp:")
    assert by_name.details["count"] == 0 and by_name.details["by"] == "name"
    assert "nobody" not in str(by_name.details) and MOBILE not in str(by_mobile.details)
    assert MemberAccessLog.objects.filter(action=AUDIT_ACTION).count() == 2


def test_searches_count_against_the_card_look_up_throttle(s01_seller, settings, monkeypatch):
    monkeypatch.setattr(lookups, "_now", lambda: 1_800_000_030.25)
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 3
    card = member_card(s01_seller)
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))

    lookups.look_up_card(cashier, card.number, address="10.0.0.9")
    find_members_cards(actor=cashier, mobile=MOBILE, address="10.0.0.9")
    find_members_cards(actor=cashier, name="Nobody", address="10.0.0.9")  # a miss
    with pytest.raises(Throttled):
        find_members_cards(actor=cashier, mobile=MOBILE, address="10.0.0.9")
    with pytest.raises(Throttled):
        lookups.look_up_card(cashier, card.number, address="10.0.0.9")
    assert LookupMiss.objects.get().misses == 1
    # Refused searches read nothing: only the two that ran are audited.
    assert AuditEvent.objects.filter(what=AUDIT_ACTION).count() == 2


def test_the_stock_keeper_may_not_search_members():
    with pytest.raises(NotPermitted):
        find_members_cards(actor=f.actor(Role.HQ_STOCK), mobile=MOBILE)
