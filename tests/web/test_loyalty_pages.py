"""HQ loyalty pages: points rules and tiers per product, prepaid limits with history, and
points campaigns (list, create, edit, end)."""

from __future__ import annotations

import datetime as dt

import pytest

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.loyalty.models import Campaign, LoyaltyPolicy, PrepaidLimits, Tier
from tests import factories as f
from tests.approvals.helpers import approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return f.product(name="Gold card", has_tiers=True, has_points=True, points_per_unit=1)


POLICY = {
    "points_expiry": "months",
    "points_validity_months": "6",
    "conversion_points": "100",
    "conversion_value": "1.00",
    "tier_window_months": "12",
    "tier_review": "yearly",
}


def test_overview_lists_products_and_limits(client_for, product):
    page = client_for(Role.HQ_STOCK).get("/hq/loyalty/")
    assert page.status_code == 200
    assert b"Gold card" in page.content
    assert b"1,000.00" in page.content  # the default anonymous limit
    assert b'id="limits"' not in page.content  # the stock keeper cannot change them


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_store_staff_are_refused(client_for, product, role):
    client = client_for(role)
    assert client.get("/hq/loyalty/").status_code == 403
    assert client.get(f"/hq/loyalty/{product.code}/").status_code == 403
    assert client.get("/hq/campaigns/").status_code == 403
    assert client.post(f"/hq/loyalty/{product.code}/", POLICY).status_code == 403
    assert not LoyaltyPolicy.objects.exists()


def test_admin_sets_the_points_rules(client_for, product):
    client = client_for(Role.HQ_ADMIN)
    assert b'id="policy"' in client.get(f"/hq/loyalty/{product.code}/").content
    response = client.post(f"/hq/loyalty/{product.code}/", POLICY)
    assert response.status_code == 302
    policy = LoyaltyPolicy.objects.get(product=product)
    assert (policy.points_expiry, policy.points_validity_months) == ("months", 6)
    assert (policy.conversion_points, policy.conversion_value_minor) == (100, 100)


def test_points_rules_errors_are_field_level(client_for, product):
    client = client_for(Role.HQ_ADMIN)
    bad = {**POLICY, "points_validity_months": "0", "conversion_value": ""}
    response = client.post(f"/hq/loyalty/{product.code}/", bad)
    assert response.status_code == 422
    assert response.content.count(b"field-error") >= 2
    assert not LoyaltyPolicy.objects.exists()


def test_finance_may_read_but_not_set_points_rules(client_for, product):
    client = client_for(Role.HQ_FINANCE)
    assert b'id="policy"' not in client.get(f"/hq/loyalty/{product.code}/").content
    assert client.post(f"/hq/loyalty/{product.code}/", POLICY).status_code == 403
    assert not LoyaltyPolicy.objects.exists()


def test_admin_adds_and_edits_a_tier(client_for, product):
    client = client_for(Role.HQ_ADMIN)
    data = {
        "code": "gold",
        "name": "Gold",
        "rank": "2",
        "discount_pct": "5.5",
        "points_multiplier_pct": "150",
        "min_spend": "1000",
    }
    assert client.post(f"/hq/loyalty/{product.code}/tiers/", data).status_code == 302
    tier = Tier.objects.get(product=product, code="gold")
    assert (tier.discount_rate_bp, tier.min_spend_minor) == (550, 100_000)
    edit = f"/hq/loyalty/{product.code}/tiers/gold/"
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**data, "name": "Gold plus"}).status_code == 302
    tier.refresh_from_db()
    assert tier.name == "Gold plus"
    assert b"Gold plus" in client.get(f"/hq/loyalty/{product.code}/").content


def test_tier_errors_are_field_level(client_for, product):
    Tier.objects.create(product=product, code="silver", name="Silver", rank=1)
    client = client_for(Role.HQ_ADMIN)
    bad = {"code": "x y", "name": "", "rank": "1", "discount_pct": "120"}
    response = client.post(f"/hq/loyalty/{product.code}/tiers/", bad)
    assert response.status_code == 422
    assert response.content.count(b"field-error") >= 3
    assert Tier.objects.filter(product=product).count() == 1


def test_prepaid_limits_change_with_a_reason_and_history(client_for):
    client = client_for(Role.HQ_FINANCE)
    missing = client.post(
        "/hq/loyalty/limits/", {"anonymous_limit": "500", "registered_limit": "100"}
    )
    assert missing.status_code == 422
    assert missing.content.count(b"field-error") >= 1
    assert not PrepaidLimits.objects.exists()
    data = {
        "anonymous_limit": "800.00",
        "registered_limit": "3000",
        "reason": "Regulation 2026",
        "idempotency_key": f.key(),
    }
    sent = client.post("/hq/loyalty/limits/", data)
    assert sent.status_code == 302
    # Four eyes: a request, applied once someone else approves it.
    request = ApprovalRequest.objects.get(kind=RequestKind.PREPAID_LIMITS)
    assert sent["Location"] == f"/approvals/{request.pk}/"
    assert not PrepaidLimits.objects.exists()
    assert client.post(f"/approvals/{request.pk}/approve/", {}).status_code == 403  # own
    approved(request)
    limits = PrepaidLimits.objects.get()
    assert (limits.anonymous_limit_minor, limits.registered_limit_minor) == (80_000, 300_000)
    assert b"Regulation 2026" in client.get("/hq/loyalty/").content


def test_limits_refused_to_the_stock_keeper(client_for):
    data = {"anonymous_limit": "800", "registered_limit": "3000", "reason": "x"}
    assert client_for(Role.HQ_STOCK).post("/hq/loyalty/limits/", data).status_code == 403
    assert not PrepaidLimits.objects.exists()


# Campaigns ---------------------------------------------------------------------------------


def campaign_data(**changes) -> dict:
    start = today()
    data = {
        "name": "Double points week",
        "multiplier_pct": "200",
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=6)).isoformat(),
    }
    return {**data, **changes}


def test_admin_creates_edits_and_ends_a_campaign(client_for, product):
    store = f.store("S02")
    client = client_for(Role.HQ_ADMIN)
    assert client.get("/hq/campaigns/new/").status_code == 200
    data = campaign_data(stores=[store.pk], products=[product.pk])
    assert client.post("/hq/campaigns/new/", data).status_code == 302
    campaign = Campaign.objects.get()
    assert list(campaign.stores.all()) == [store]
    listing = client.get("/hq/campaigns/")
    assert b"Double points week" in listing.content
    edit = f"/hq/campaigns/{campaign.pk}/"
    assert client.post(edit, campaign_data(name="Triple", multiplier_pct="300")).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.multiplier_pct, campaign.stores.count()) == ("Triple", 300, 0)
    assert client.post(f"/hq/campaigns/{campaign.pk}/end/").status_code == 302
    campaign.refresh_from_db()
    assert not campaign.is_active
    again = client.post(f"/hq/campaigns/{campaign.pk}/end/")
    assert again.status_code == 422


def test_campaign_errors_are_field_level(client_for):
    client = client_for(Role.HQ_ADMIN)
    start = today()
    bad = campaign_data(
        multiplier_pct="50", ends_on=(start - dt.timedelta(days=1)).isoformat(), name=""
    )
    response = client.post("/hq/campaigns/new/", bad)
    assert response.status_code == 422
    assert response.content.count(b"field-error") >= 3
    assert not Campaign.objects.exists()


def test_campaigns_are_configured_by_hq_admin_only(client_for):
    client = client_for(Role.HQ_FINANCE)
    assert client.get("/hq/campaigns/").status_code == 200
    assert client.get("/hq/campaigns/new/").status_code == 403
    assert client.post("/hq/campaigns/new/", campaign_data()).status_code == 403
    assert not Campaign.objects.exists()
