"""Gifts: the catalog (validation, pictures), stock per location (receive, send, adjust) and
the stock verify; redemption and its reversal are in test_gift_redemption.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction

from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.loyalty.errors import GiftNotFound, GiftOutOfStock
from membercard.loyalty.gift_selectors import gift_movements, gift_stock, gifts_at
from membercard.loyalty.models import GiftMovementKind, GiftStock, GiftStockMovement
from membercard.loyalty.services.gifts import (
    adjust_gift_stock,
    create_gift,
    receive_gift_stock,
    send_gift_stock,
    update_gift,
)
from membercard.loyalty.verify import verify_gift_stock
from tests import factories as f
from tests.ledger.tamper import execute
from tests.loyalty.gift_helpers import (
    PNG,
    gift_state,
    new_gift,
    quantity,
    refused_gift,
    stocked,
)
from tests.loyalty.helpers import on_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return f.actor(Role.HQ_ADMIN)


@pytest.fixture
def keeper():
    return f.actor(Role.HQ_STOCK)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# Catalog -----------------------------------------------------------------------------------


def test_hq_admin_adds_a_gift_with_a_normalised_code(admin):
    gift = create_gift(actor=admin, code=" mug-01 ", name=" Mug ", points_price=50)
    assert (gift.code, gift.name, gift.points_price, gift.is_active) == ("MUG-01", "Mug", 50, True)
    assert gift.created_by == admin.staff


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"points_price": 0}, "points_price"),
        ({"points_price": -5}, "points_price"),
        ({"points_price": True}, "points_price"),
        ({"points_price": 10_000_001}, "points_price"),
        ({"code": "MUG 01"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "   "}, "name"),
        (
            {"active_from": dt.date(2027, 2, 1), "active_until": dt.date(2027, 1, 31)},
            "active_until",
        ),
    ],
)
def test_the_catalog_refuses_invalid_gifts(admin, fields, field):
    values = {"code": "MUG-01", "name": "Mug", "points_price": 50, **fields}
    with refused_gift(ValidationFailed, "validation_error") as info:
        create_gift(actor=admin, **values)
    assert info.value.extra["field"] == field


def test_a_gift_code_is_used_once(admin):
    create_gift(actor=admin, code="MUG-01", name="Mug", points_price=50)
    with refused_gift(ValidationFailed, "validation_error") as info:
        create_gift(actor=admin, code="mug-01", name="Another mug", points_price=60)
    assert info.value.extra["field"] == "code"


@pytest.mark.parametrize("role", [Role.HQ_FINANCE, Role.HQ_STOCK, Role.STORE_MANAGER])
def test_only_hq_admin_manages_the_catalog(role):
    with refused_gift(NotPermitted, "not_permitted"):
        create_gift(actor=f.actor(role), code="MUG-01", name="Mug", points_price=50)


def test_a_gift_changes_but_keeps_its_code(admin):
    create_gift(actor=admin, code="MUG-01", name="Mug", points_price=50)
    gift = update_gift(actor=admin, code="mug-01", points_price=60, is_active=False)
    assert (gift.points_price, gift.is_active) == (60, False)
    with refused_gift(ValidationFailed, "validation_error"):
        update_gift(actor=admin, code="MUG-01", code_="X")
    with refused_gift(ValidationFailed, "validation_error"):
        update_gift(actor=admin, code="MUG-01", points_price=0)
    with refused_gift(GiftNotFound, "gift_not_found"):
        update_gift(actor=admin, code="NOPE", points_price=5)


def test_a_picture_is_stored_under_media_and_replaced(
    admin, media, django_capture_on_commit_callbacks
):
    # Given a gift created with a PNG picture
    gift = create_gift(
        actor=admin, code="MUG-01", name="Mug", points_price=50,
        picture=ContentFile(PNG, name="photo.PNG"),
    )  # fmt: skip
    assert gift.picture.name == "gifts/mug-01.png"
    assert (media / "gifts" / "mug-01.png").read_bytes() == PNG
    assert gifts_at(f.store())[0].picture_url == "/media/gifts/mug-01.png"
    # When the picture is replaced, the old file goes once the change is committed
    with django_capture_on_commit_callbacks(execute=True):
        gift = update_gift(actor=admin, code="MUG-01", picture=ContentFile(PNG, name="new.png"))
    assert gift.picture.name != "gifts/mug-01.png"
    assert sorted(p.name for p in (media / "gifts").iterdir()) == [gift.picture.name[6:]]
    # And removing it leaves no picture and no file
    with django_capture_on_commit_callbacks(execute=True):
        gift = update_gift(actor=admin, code="MUG-01", picture=None)
    assert not gift.picture
    assert list((media / "gifts").iterdir()) == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not an image", "photo.png"),  # the extension proves nothing
        (PNG, "photo.exe"),
        (PNG, "photo"),
        (PNG + b"\0" * (2 * 1024 * 1024), "huge.png"),
    ],
)
def test_a_picture_must_be_a_small_image(admin, media, content, name):
    with refused_gift(ValidationFailed, "validation_error") as info:
        create_gift(
            actor=admin, code="MUG-01", name="Mug", points_price=50,
            picture=ContentFile(content, name=name),
        )  # fmt: skip
    assert info.value.extra["field"] == "picture"
    assert not (media / "gifts").exists() or list((media / "gifts").iterdir()) == []


def test_the_counter_lists_todays_gifts_with_the_stock_here(admin):
    # Given a mug in stock at S01, a pen at HQ only, a withdrawn cap and a future poster
    s01 = f.store()
    mug = stocked(new_gift("MUG-01", 50, name="Mug"), {s01: 4})
    stocked(new_gift("PEN-01", 10), {})
    new_gift("CAP-01", 30, is_active=False)
    new_gift("POSTER", 5, active_from=dt.date(2027, 5, 1))
    with on_day(dt.date(2027, 4, 1)):
        offers = gifts_at(s01)
        in_stock = gifts_at(s01, in_stock_only=True)
    # Then the counter offers today's gifts with its own stock, by code
    assert [(o.code, o.name, o.points_price, o.quantity) for o in offers] == [
        ("MUG-01", "Mug", 50, 4),
        ("PEN-01", "PEN-01", 10, 0),
    ]
    assert [o.code for o in in_stock] == [mug.code]
    assert offers[0].picture_url is None


# Stock -------------------------------------------------------------------------------------


def test_hq_receives_and_sends_gift_stock_to_a_store(admin, keeper):
    # Given a mug received at HQ
    gift = new_gift("MUG-01", 50)
    hq, s01 = f.hq(), f.store()
    received = receive_gift_stock(actor=keeper, gift_code="mug-01", quantity=100, reason="PO 17")
    assert (received.kind, received.delta, received.balance_after) == ("received", 100, 100)
    # When HQ sends 40 to S01
    out, arrived = send_gift_stock(
        actor=keeper, gift_code="MUG-01", to_location=s01, quantity=40, note="weekly"
    )
    # Then both sides moved together, each movement naming the other place
    assert (quantity(gift, hq), quantity(gift, s01)) == (60, 40)
    assert (out.kind, out.delta, out.balance_after, out.other_location) == (
        GiftMovementKind.TRANSFER_OUT, -40, 60, s01,
    )  # fmt: skip
    assert (arrived.kind, arrived.delta, arrived.balance_after, arrived.other_location) == (
        GiftMovementKind.TRANSFER_IN, 40, 40, hq,
    )  # fmt: skip
    assert (out.staff, out.reason) == (keeper.staff, "weekly")
    assert [(s.location_code, s.quantity) for s in gift_stock(gift_code="MUG-01")] == [
        ("HQ", 60),
        ("S01", 40),
    ]
    assert [m.kind for m in gift_movements(gift_code="MUG-01")] == [
        "transfer_in", "transfer_out", "received",
    ]  # fmt: skip
    assert verify_gift_stock().problems == []


def test_hq_cannot_send_more_than_it_holds(keeper):
    gift = stocked(new_gift("MUG-01", 50), {f.hq(): 5})
    with refused_gift(GiftOutOfStock, "gift_out_of_stock") as info:
        send_gift_stock(actor=keeper, gift_code=gift.code, to_location=f.store(), quantity=6)
    assert info.value.extra == {"gift": "MUG-01", "location": "HQ", "available": 5, "needed": 6}


def test_gift_stock_goes_to_an_open_store_from_hq_roles(keeper, manager):
    gift = stocked(new_gift("MUG-01", 50), {f.hq(): 5})
    with refused_gift(ValidationFailed, "validation_error"):
        send_gift_stock(actor=keeper, gift_code=gift.code, to_location=f.hq(), quantity=1)
    with refused_gift(NotPermitted, "not_permitted"):
        send_gift_stock(actor=manager, gift_code=gift.code, to_location=f.store(), quantity=1)
    with refused_gift(NotPermitted, "not_permitted"):
        receive_gift_stock(actor=f.actor(Role.HQ_FINANCE), gift_code=gift.code, quantity=1)
    with refused_gift(ValidationFailed, "validation_error"):
        receive_gift_stock(actor=keeper, gift_code=gift.code, quantity=0)
    with refused_gift(GiftNotFound, "gift_not_found"):
        receive_gift_stock(actor=keeper, gift_code="NOPE", quantity=1)


def test_a_store_manager_adjusts_their_own_stock_with_a_reason(manager, admin):
    s01, s02 = f.store(), f.store("S02")
    gift = stocked(new_gift("MUG-01", 50), {s01: 10, s02: 3})
    # The manager writes off 2 broken mugs at S01; HQ corrects S02's count
    broken = adjust_gift_stock(
        actor=manager, gift_code=gift.code, location=s01, delta=-2, reason=" 2 broken "
    )
    found = adjust_gift_stock(
        actor=admin, gift_code=gift.code, location=s02, delta=4, reason="stocktake"
    )
    assert (broken.kind, broken.delta, broken.balance_after, broken.reason) == (
        GiftMovementKind.ADJUSTMENT, -2, 8, "2 broken",
    )  # fmt: skip
    assert (quantity(gift, s01), quantity(gift, s02), found.balance_after) == (8, 7, 7)
    assert verify_gift_stock().problems == []


def test_stock_adjustments_are_refused_below_zero_without_reason_or_elsewhere(manager, cashier):
    s01, s02 = f.store(), f.store("S02")
    gift = stocked(new_gift("MUG-01", 50), {s01: 3, s02: 3})
    with refused_gift(GiftOutOfStock, "gift_out_of_stock") as info:
        adjust_gift_stock(actor=manager, gift_code=gift.code, location=s01, delta=-4, reason="x")
    assert info.value.extra["available"] == 3
    with refused_gift(ValidationFailed, "validation_error"):
        adjust_gift_stock(actor=manager, gift_code=gift.code, location=s01, delta=-1, reason=" ")
    with refused_gift(ValidationFailed, "validation_error"):
        adjust_gift_stock(actor=manager, gift_code=gift.code, location=s01, delta=0, reason="x")
    # A store manager never adjusts another store; a cashier adjusts nothing
    with refused_gift(NotPermitted, "not_permitted"):
        adjust_gift_stock(actor=manager, gift_code=gift.code, location=s02, delta=1, reason="x")
    with refused_gift(NotPermitted, "not_permitted"):
        adjust_gift_stock(actor=cashier, gift_code=gift.code, location=s01, delta=1, reason="x")
    with refused_gift(NotPermitted, "not_permitted"):
        adjust_gift_stock(
            actor=f.actor(Role.HQ_FINANCE), gift_code=gift.code, location=s01, delta=1, reason="x"
        )


# The database's own guards and the verify --------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE loyalty_giftstockmovement SET delta = delta + 1",
        "UPDATE loyalty_giftstockmovement SET reason = 'edited'",
        "DELETE FROM loyalty_giftstockmovement",
        "UPDATE loyalty_giftstock SET quantity = -1",
    ],
)
def test_the_database_refuses_to_rewrite_gift_stock(sql):
    stocked(new_gift("MUG-01", 50), {f.store(): 3})
    before = gift_state()
    with pytest.raises(DatabaseError), transaction.atomic():
        execute(sql)
    assert gift_state() == before


def test_verify_finds_stock_that_does_not_follow_its_movements():
    gift = stocked(new_gift("MUG-01", 50), {f.store(): 3})
    assert verify_gift_stock().checked == {
        "gift stock rows": 1,
        "gift stock movements": 1,
        "gift redemptions": 0,
    }
    # A stock figure changed by hand, and a movement whose balance does not follow
    GiftStock.objects.filter(gift=gift).update(quantity=5)
    odd = GiftStockMovement.objects.create(
        gift=gift, location=f.store(), kind="adjustment", delta=1, balance_after=9
    )
    assert verify_gift_stock().problems == [
        f"gift stock movement {odd.pk}: balance after 9, but the movements before it give 4",
        "gift MUG-01 at S01: stock 5, but its movements give 4",
    ]
