"""HQ set-up pages (card products, stores, staff, terminal keys) and the services behind
them (membercard.cards.products, membercard.core.services): happy paths, refusals by role,
field-level errors."""

from __future__ import annotations

import pytest

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.cards.models import CardProduct
from membercard.cards.products import save_product
from membercard.core import services as setup
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Location, Role, Staff, Terminal
from membercard.core.terminals import authenticate_key
from tests import factories as f
from tests.approvals.helpers import approved
from tests.inventory import factories as inv
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

PRODUCT = {
    "code": "gold",
    "name": "Gold card",
    "is_active": "on",
    "has_stored_value": "on",
    "has_discount": "on",
    "rechargeable": "on",
    "face_values": "100, 200",
    "bonus_rules": "1000: 100\n500: 30",
    "discount_rate_bp": "5",  # percent, as every discount is entered
    "points_per_unit": "0",
    "spend_order": "principal_first",
    "card_fee_minor": "5",
    "deposit_minor": "",
    "unit_cost_minor": "1.20",
    "validity_months": "24",
    "number_prefix": "7301",
    "number_length": "16",
    "number_check_digit": "on",  # as the form shows it (off: pre-printed, needs a PIN)
    "idempotency_key": "product-form-key",  # the form's key (a money policy change: a request)
}


# Card products -----------------------------------------------------------------------------


def test_admin_creates_a_card_product_with_its_policies():
    client = signed_in(Role.HQ_ADMIN)
    assert client.get("/hq/products/new/").status_code == 200
    response = client.post("/hq/products/new/", PRODUCT)
    assert response.status_code == 302
    product = CardProduct.objects.get(code="gold")
    assert response["Location"] == f"/hq/products/{product.pk}/"
    assert product.face_values == [10_000, 20_000]
    assert product.bonus_rules == [[100_000, 10_000], [50_000, 3_000]]
    assert (product.discount_rate_bp, product.card_fee_minor, product.unit_cost_minor) == (
        500,
        500,
        120,
    )
    assert product.validity_months == 24
    detail = client.get(f"/hq/products/{product.pk}/")
    assert b"Gold card" in detail.content


def test_a_prefix_in_a_bank_card_range_is_refused_beside_the_field():
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/products/new/", {**PRODUCT, "number_prefix": "62"})
    assert response.status_code == 422
    assert "number_prefix" in response.context["form"].errors
    assert "payment-card" in response.context["form"].errors["number_prefix"][0]
    assert not CardProduct.objects.exists()


def test_policy_rules_show_beside_their_fields():
    client = signed_in(Role.HQ_ADMIN)
    data = {**PRODUCT, "discount_rate_bp": "0", "face_values": "12.345"}
    response = client.post("/hq/products/new/", data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "face_values" in errors  # too many decimals
    assert not CardProduct.objects.exists()
    response = client.post("/hq/products/new/", {**PRODUCT, "discount_rate_bp": "0"})
    assert "discount_rate_bp" in response.context["form"].errors  # discount on with rate 0


def test_product_list_is_for_hq_and_editing_for_the_admin_only():
    product = f.product(name="Silver card")
    finance = signed_in(Role.HQ_FINANCE)
    listing = finance.get("/hq/products/?q=silver")
    assert listing.status_code == 200
    assert [p.pk for p in listing.context["listing"].rows] == [product.pk]
    assert listing.context["can_edit"] is False
    assert finance.get(f"/hq/products/{product.pk}/edit/").status_code == 403
    refused = finance.post(f"/hq/products/{product.pk}/edit/", {**PRODUCT, "name": "Hacked"})
    assert refused.status_code == 403
    assert signed_in(Role.STORE_MANAGER).get("/hq/products/").status_code == 403
    product.refresh_from_db()
    assert product.name == "Silver card"


def test_number_format_of_a_product_with_cards_cannot_change():
    product = f.product()
    f.stock_card(product, f.hq())
    product.number_prefix = "7777"
    with pytest.raises(ValidationFailed) as refused:
        save_product(actor=f.actor(Role.HQ_ADMIN), product=product)
    assert refused.value.extra["field"] == "number_prefix"


def test_only_an_hq_admin_may_save_products():
    with pytest.raises(NotPermitted):
        save_product(actor=f.actor(Role.HQ_STOCK), product=CardProduct(code="x", name="x"))


# Stores ------------------------------------------------------------------------------------


def test_admin_opens_and_closes_a_store():
    f.hq()
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/stores/new/", {"code": "s07", "name": "Riverside"})
    assert response.status_code == 302
    store = Location.objects.get(code="S07")
    assert not store.is_hq
    response = client.post(
        f"/hq/stores/{store.pk}/edit/", {"name": "Riverside Mall", "address": "1 Main St"}
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.name, store.is_active) == ("Riverside Mall", False)


def test_a_taken_store_code_is_a_field_error():
    f.store("S01")
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/stores/new/", {"code": "S01", "name": "Again"})
    assert response.status_code == 422
    assert "code" in response.context["form"].errors
    assert Location.objects.filter(code="S01").count() == 1


def test_stores_page_is_for_the_admin_only():
    assert signed_in(Role.HQ_STOCK).get("/hq/stores/").status_code == 403
    assert signed_in(Role.HQ_STOCK).post("/hq/stores/new/", {"code": "S9"}).status_code == 403
    assert not Location.objects.filter(code="S9").exists()


# Staff -------------------------------------------------------------------------------------

NEW_CASHIER = {
    "username": "lina",
    "first_name": "Lina",
    "last_name": "Wu",
    "role": Role.STORE_CASHIER,
    "language": "zh-hans",
    "password": "a-long-enough-password",
}


def test_admin_adds_a_cashier_who_can_sign_in():
    store = f.store("S01")
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/staff/new/", {**NEW_CASHIER, "location": store.pk})
    assert response.status_code == 302
    lina = Staff.objects.get(username="lina")
    assert (lina.role, lina.location, lina.language) == (Role.STORE_CASHIER, store, "zh-hans")
    assert lina.check_password("a-long-enough-password")
    listing = client.get("/hq/staff/?q=lina")
    assert [p.pk for p in listing.context["listing"].rows] == [lina.pk]


def test_a_store_role_at_hq_is_refused_beside_the_location():
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/staff/new/", {**NEW_CASHIER, "location": f.hq().pk})
    assert response.status_code == 422
    assert "location" in response.context["form"].errors
    assert not Staff.objects.filter(username="lina").exists()


def test_a_short_password_is_refused_beside_the_password():
    client = signed_in(Role.HQ_ADMIN)
    data = {**NEW_CASHIER, "location": f.store().pk, "password": "short"}
    response = client.post("/hq/staff/new/", data)
    assert response.status_code == 422
    assert "password" in response.context["form"].errors
    assert not Staff.objects.filter(username="lina").exists()


def test_admin_moves_and_deactivates_staff_but_not_themselves():
    client = signed_in(Role.HQ_ADMIN)
    person = f.staff(Role.STORE_CASHIER, f.store("S01"))
    s02 = f.store("S02")
    response = client.post(
        f"/hq/staff/{person.pk}/edit/",
        {"role": Role.STORE_MANAGER, "location": s02.pk, "is_active": "on", "language": ""},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.role, person.location) == (Role.STORE_MANAGER, s02)
    assert client.post(f"/hq/staff/{person.pk}/deactivate/").status_code == 302
    person.refresh_from_db()
    assert person.is_active is False
    refused = client.post(f"/hq/staff/{client.staff.pk}/deactivate/")
    assert refused.status_code == 403
    client.staff.refresh_from_db()
    assert client.staff.is_active is True


def test_staff_pages_refuse_other_roles():
    person = f.staff(Role.STORE_CASHIER)
    manager = signed_in(Role.STORE_MANAGER)
    assert manager.get("/hq/staff/").status_code == 403
    assert manager.post(f"/hq/staff/{person.pk}/deactivate/").status_code == 403
    person.refresh_from_db()
    assert person.is_active is True
    with pytest.raises(NotPermitted):
        setup.deactivate_staff(actor=f.actor(Role.HQ_FINANCE), staff_id=person.pk)


# Terminal keys -----------------------------------------------------------------------------


def test_admin_creates_a_terminal_key_shown_once_then_revokes_it():
    store = f.store("S01")
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/terminals/", {"store": store.pk, "name": "till-1"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.encode() in response.content
    assert response["Cache-Control"] == "no-store"
    terminal = Terminal.objects.get()
    assert authenticate_key(key) == terminal
    assert key.encode() not in client.get("/hq/terminals/").content
    assert client.post(f"/hq/terminals/{terminal.pk}/revoke/").status_code == 302
    assert authenticate_key(key) is None


def test_a_duplicate_terminal_name_is_a_field_error():
    store = f.store("S01")
    client = signed_in(Role.HQ_ADMIN)
    client.post("/hq/terminals/", {"store": store.pk, "name": "till-1"})
    response = client.post("/hq/terminals/", {"store": store.pk, "name": "till-1"})
    assert response.status_code == 422
    assert "name" in response.context["form"].errors
    assert "new_key" not in response.context
    assert Terminal.objects.count() == 1


def test_terminal_keys_are_for_the_admin_only():
    store = f.store("S01")
    stock = signed_in(Role.HQ_STOCK)
    assert stock.get("/hq/terminals/").status_code == 403
    assert stock.post("/hq/terminals/", {"store": store.pk, "name": "x"}).status_code == 403
    assert not Terminal.objects.exists()


def test_menu_links_resolve_for_the_admin():
    inv.keeper(Role.HQ_ADMIN)
    client = signed_in(Role.HQ_ADMIN)
    for url in ("/hq/products/", "/hq/stores/", "/hq/staff/", "/hq/terminals/"):
        assert client.get(url).status_code == 200, url


def test_admin_sets_a_new_password_or_gets_a_field_error_and_nothing_changes():
    client = signed_in(Role.HQ_ADMIN)
    person = f.staff(Role.STORE_CASHIER, f.store("S01"), password="the-old-password")
    form = {"role": Role.STORE_CASHIER, "location": person.location_id, "is_active": "on"}
    short = client.post(
        f"/hq/staff/{person.pk}/edit/", {**form, "first_name": "Changed", "password": "x"}
    )
    assert short.status_code == 422
    assert "password" in short.context["form"].errors
    person.refresh_from_db()
    assert person.check_password("the-old-password")
    assert person.first_name == ""
    done = client.post(f"/hq/staff/{person.pk}/edit/", {**form, "password": "a-brand-new-one"})
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-brand-new-one")


def test_admin_edits_a_product_but_not_the_number_format_once_cards_exist():
    client = signed_in(Role.HQ_ADMIN)
    product = f.product(name="Value card")
    f.stock_card(product, f.hq())
    page = client.get(f"/hq/products/{product.pk}/edit/")
    assert page.status_code == 200
    data = {**PRODUCT, "code": product.code, "number_prefix": product.number_prefix}
    response = client.post(f"/hq/products/{product.pk}/edit/", {**data, "name": "Value card 2"})
    assert response.status_code == 302
    # Four eyes: the name is saved at once, the money policy once someone else approves.
    request = ApprovalRequest.objects.get(kind=RequestKind.PRODUCT_POLICY)
    assert response["Location"] == f"/approvals/{request.pk}/"
    product.refresh_from_db()
    assert (product.name, product.discount_rate_bp) == ("Value card 2", 0)
    approved(request)
    product.refresh_from_db()
    assert (product.name, product.discount_rate_bp) == ("Value card 2", 500)
    moved = client.post(f"/hq/products/{product.pk}/edit/", {**data, "number_prefix": "7777"})
    assert moved.status_code == 422
    assert "number_prefix" in moved.context["form"].errors
    product.refresh_from_db()
    assert product.number_prefix != "7777"
