"""HQ gift pages: the catalog with pictures, one gift's stock and movements, and gift
stock received at HQ, sent to a store and adjusted with a reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from membercard.core.models import Role
from membercard.loyalty.models import Gift, GiftStockMovement
from tests import factories as f
from tests.loyalty.gift_helpers import PNG, new_gift, quantity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mug() -> Gift:
    return new_gift("MUG-01", 500, name="Coffee mug")


def test_catalog_lists_gifts_with_search(client_for, mug):
    new_gift("TEA-02", 300, name="Tea box")
    client = client_for(Role.HQ_FINANCE)
    page = client.get("/hq/gifts/", {"q": "mug"})
    assert page.status_code == 200
    assert b"Coffee mug" in page.content and b"Tea box" not in page.content
    assert b"/hq/gifts/new/" not in page.content  # finance does not edit the catalog


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_store_staff_are_refused(client_for, mug, role):
    client = client_for(role)
    assert client.get("/hq/gifts/").status_code == 403
    assert client.get(f"/hq/gifts/{mug.code}/").status_code == 403
    assert client.get("/hq/gift-stock/").status_code == 403
    data = {"receive-gift": mug.code, "receive-quantity": "5"}
    assert client.post("/hq/gift-stock/receive/", data).status_code == 403
    assert not GiftStockMovement.objects.exists()


def test_admin_creates_a_gift_with_a_picture(client_for):
    client = client_for(Role.HQ_ADMIN)
    assert client.get("/hq/gifts/new/").status_code == 200
    picture = SimpleUploadedFile("mug.png", PNG, content_type="image/png")
    data = {"code": "mug-02", "name": "Big mug", "points_price": "800", "is_active": "on"}
    response = client.post("/hq/gifts/new/", {**data, "picture": picture})
    assert response.status_code == 302
    gift = Gift.objects.get(code="MUG-02")
    assert gift.picture.name.startswith("gifts/mug-02")
    page = client.get("/hq/gifts/MUG-02/")
    assert b"Big mug" in page.content and b"<img" in page.content


def test_gift_form_errors_are_field_level(client_for, mug):
    client = client_for(Role.HQ_ADMIN)
    fake = SimpleUploadedFile("mug.png", b"not an image at all", content_type="image/png")
    data = {
        "code": "MUG-01",
        "name": "",
        "points_price": "0",
        "active_from": "2026-12-01",
        "active_until": "2026-11-01",
    }
    response = client.post("/hq/gifts/new/", data)
    assert response.status_code == 422
    assert response.content.count(b"field-error") >= 3
    bad_picture = client.post(
        "/hq/gifts/new/", {"code": "X-1", "name": "X", "points_price": "5", "picture": fake}
    )
    assert bad_picture.status_code == 422
    assert b"field-error" in bad_picture.content
    taken = client.post("/hq/gifts/new/", {"code": "mug-01", "name": "Y", "points_price": "5"})
    assert taken.status_code == 422
    assert b"field-error" in taken.content
    assert list(Gift.objects.values_list("code", flat=True)) == ["MUG-01"]


def test_admin_edits_a_gift(client_for, mug):
    client = client_for(Role.HQ_ADMIN)
    assert client.get(f"/hq/gifts/{mug.code}/edit/").status_code == 200
    data = {"code": "IGNORED", "name": "Mug", "points_price": "450", "active_until": "2027-01-31"}
    assert client.post(f"/hq/gifts/{mug.code}/edit/", data).status_code == 302
    mug.refresh_from_db()
    assert (mug.code, mug.name, mug.points_price, mug.is_active) == ("MUG-01", "Mug", 450, False)


def test_catalog_is_edited_by_hq_admin_only(client_for, mug):
    client = client_for(Role.HQ_STOCK)
    assert client.get("/hq/gifts/new/").status_code == 403
    data = {"name": "Hacked", "points_price": "1"}
    assert client.post(f"/hq/gifts/{mug.code}/edit/", data).status_code == 403
    mug.refresh_from_db()
    assert mug.name == "Coffee mug"


def test_stock_keeper_receives_sends_and_adjusts(client_for, mug):
    store = f.store()
    hq = f.hq()
    client = client_for(Role.HQ_STOCK)
    page = client.get("/hq/gift-stock/")
    assert b'id="receive"' in page.content
    received = client.post(
        "/hq/gift-stock/receive/",
        {"receive-gift": mug.code, "receive-quantity": "10", "receive-reason": "DN-1"},
    )
    assert received.status_code == 302
    sent = client.post(
        "/hq/gift-stock/send/",
        {"send-gift": mug.code, "send-to_location": store.pk, "send-quantity": "4"},
    )
    assert sent.status_code == 302
    adjusted = client.post(
        "/hq/gift-stock/adjust/",
        {
            "adjust-gift": mug.code,
            "adjust-location": store.pk,
            "adjust-delta": "-1",
            "adjust-reason": "broken",
        },
    )
    assert adjusted.status_code == 302
    assert (quantity(mug, hq), quantity(mug, store)) == (6, 3)
    detail = client.get(f"/hq/gifts/{mug.code}/").content
    assert b"broken" in detail and b"DN-1" in detail


def test_stock_errors_are_field_level_and_move_nothing(client_for, mug):
    store = f.store()
    client = client_for(Role.HQ_ADMIN)
    too_many = client.post(
        "/hq/gift-stock/send/",
        {"send-gift": mug.code, "send-to_location": store.pk, "send-quantity": "4"},
    )
    assert too_many.status_code == 422
    assert b"alert error" in too_many.content or b"field-error" in too_many.content
    no_reason = client.post(
        "/hq/gift-stock/adjust/",
        {"adjust-gift": mug.code, "adjust-location": store.pk, "adjust-delta": "0"},
    )
    assert no_reason.status_code == 422
    assert no_reason.content.count(b"field-error") >= 2
    assert not GiftStockMovement.objects.exists()


def test_finance_sees_stock_but_cannot_move_it(client_for, mug):
    client = client_for(Role.HQ_FINANCE)
    page = client.get("/hq/gift-stock/")
    assert page.status_code == 200
    assert b'id="receive"' not in page.content
    data = {"receive-gift": mug.code, "receive-quantity": "5"}
    assert client.post("/hq/gift-stock/receive/", data).status_code == 403
    assert not GiftStockMovement.objects.exists()
