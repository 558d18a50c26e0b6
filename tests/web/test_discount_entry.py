"""A discount is entered the same way everywhere: a percent with up to two decimals (the
product form, the tier form, the admin); it is stored in basis points."""

from __future__ import annotations

import pytest

from membercard.cards.admin import CardProductAdminForm
from membercard.cards.models import CardProduct
from membercard.core.models import Role
from membercard.loyalty.admin import TierAdminForm
from tests import factories as f
from tests.web.conftest import signed_in
from tests.web.test_setup_pages import PRODUCT

pytestmark = pytest.mark.django_db


def test_the_product_form_takes_a_percent_with_two_decimals():
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/products/new/", {**PRODUCT, "discount_rate_bp": "9.5"})
    assert response.status_code == 302
    product = CardProduct.objects.get(code="gold")
    assert product.discount_rate_bp == 950
    detail = client.get(f"/hq/products/{product.pk}/").content.decode()
    assert "9.5 %" in detail and "basis points" not in detail
    edit = client.get(f"/hq/products/{product.pk}/edit/").content.decode()
    assert 'name="discount_rate_bp"' in edit and 'value="9.5"' in edit


@pytest.mark.parametrize("typed", ["12.345", "100", "-1", "500 bp"])
def test_the_product_form_refuses_what_is_not_a_percent(typed):
    client = signed_in(Role.HQ_ADMIN)
    response = client.post("/hq/products/new/", {**PRODUCT, "discount_rate_bp": typed})
    assert response.status_code == 422
    assert "discount_rate_bp" in response.context["form"].errors
    assert not CardProduct.objects.exists()


def test_the_admin_takes_the_same_percent():
    product = f.product(has_discount=True, discount_rate_bp=500)
    form = CardProductAdminForm(instance=product)
    assert 'value="5"' in str(form["discount_rate_bp"])
    assert form.fields["discount_rate_bp"].clean("12.25") == 1_225
    tier = TierAdminForm()
    assert tier.fields["discount_rate_bp"].clean("7.5") == 750


def test_an_approval_shows_the_discount_as_a_percent():
    from membercard.web.templatetags.approval_previews import policy_label, policy_value

    assert policy_value(950, "discount_rate_bp") == "9.5 %"
    assert str(policy_label("discount_rate_bp")) == "Discount %"
