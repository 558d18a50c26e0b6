"""HQ card pages: search, one card with its full history, and HQ's finance actions
(adjustment with a reason, top-up with an idempotency key, freeze, tier override)."""

from __future__ import annotations

import re

import pytest

from membercard.cards.models import Card
from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.models import Member, Tier, TierChange
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(cashier) -> Card:
    return f.sold_card(cashier, value_minor=10_000)


def url(card: Card, action: str = "") -> str:
    return f"/hq/cards/{card.number}/" + (f"{action}/" if action else "")


def form_key(page: bytes, form_id: str) -> str:
    """The idempotency key rendered in the form ``form_id`` of a page."""
    html = page.decode()
    section = html[html.index(f'id="{form_id}"') :]
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', section).group(1)


# Search ------------------------------------------------------------------------------------


def test_search_finds_a_card_by_number_and_filters_by_state(client_for, card, cashier):
    other = f.stock_card(card.product, cashier.location)
    client = client_for(Role.HQ_STOCK)
    found = client.get("/hq/cards/", {"q": card.number})
    assert found.status_code == 200
    assert card.number.encode() in found.content
    assert other.number.encode() not in found.content
    in_stock = client.get("/hq/cards/", {"state": "in_stock"})
    assert other.number.encode() in in_stock.content
    assert card.number.encode() not in in_stock.content


def test_search_by_member_mobile_and_sorting(client_for, cashier):
    member = Member.objects.create(name="Ann", mobile="13800001234")
    owned = f.sold_card(cashier, member=member)
    anonymous = f.sold_card(cashier)
    client = client_for(Role.HQ_ADMIN)
    page = client.get("/hq/cards/", {"q": "13800001234"})
    assert owned.number.encode() in page.content
    assert anonymous.number.encode() not in page.content
    ordered = client.get("/hq/cards/", {"sort": "-number"}).content
    first, second = sorted([owned.number, anonymous.number], reverse=True)
    assert ordered.index(first.encode()) < ordered.index(second.encode())


def test_bad_filter_is_a_field_error(client_for):
    page = client_for(Role.HQ_ADMIN).get("/hq/cards/", {"state": "melted"})
    assert page.status_code == 200
    assert b"field-error" in page.content


@pytest.mark.parametrize("role", [Role.STORE_CASHIER, Role.STORE_MANAGER])
def test_store_staff_are_refused_the_card_pages(client_for, card, role):
    client = client_for(role)
    assert client.get("/hq/cards/").status_code == 403
    assert client.get(url(card)).status_code == 403
    response = client.post(url(card, "top-up"), {"amount": "5", "tender": "cash"})
    assert response.status_code == 403
    assert card.operations.count() == 1


# Detail ------------------------------------------------------------------------------------


def test_detail_shows_balances_and_the_full_history(client_for, card):
    sale = card.operations.get()
    page = client_for(Role.HQ_STOCK).get(url(card))
    assert page.status_code == 200
    body = page.content.decode()
    assert "100.00" in body  # principal
    assert sale.receipt_number in body
    assert "card.sold" in body or "Card sale" in body
    assert 'id="adjust"' not in body  # the stock keeper gets no finance actions


def test_unknown_card_is_a_404_page(client_for):
    response = client_for(Role.HQ_ADMIN).get("/hq/cards/8800000000000000/")
    assert response.status_code == 404
    assert b"card_not_found" in response.content


# Adjustment --------------------------------------------------------------------------------


def test_adjustment_without_reason_is_refused_with_a_field_error(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    key = form_key(client.get(url(card)).content, "adjust")
    response = client.post(
        url(card, "adjust"),
        {"bucket": "principal", "amount": "5.00", "reason": "  ", "idempotency_key": key},
    )
    assert response.status_code == 422
    assert re.search(rb'class="field-error"[^>]*>[^<]*(reason|required)', response.content, re.I)
    assert card.operations.count() == 1
    assert f.balances(card) == (10_000, 0, 0)


def test_adjustment_posts_one_operation_and_the_detail_shows_it(client_for, card, settings):
    # Below the approval threshold an adjustment posts at once (tests/approvals: above it)
    settings.MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD = 10_000
    client = client_for(Role.HQ_FINANCE)
    key = form_key(client.get(url(card)).content, "adjust")
    data = {
        "bucket": "principal",
        "amount": "-12.50",
        "reason": "Till miscount 2026-11-02",
        "idempotency_key": key,
    }
    response = client.post(url(card, "adjust"), data)
    assert response.status_code == 302
    adjustment = card.operations.get(kind=OperationKind.ADJUSTMENT)
    assert adjustment.details == {"bucket": "principal", "delta": -1250}
    assert f.balances(card) == (8_750, 0, 0)
    client.post(url(card, "adjust"), data)  # the same form sent again
    assert card.operations.filter(kind=OperationKind.ADJUSTMENT).count() == 1
    page = client.get(url(card)).content.decode()
    assert adjustment.receipt_number in page
    assert "Till miscount 2026-11-02" in page


def test_adjustment_amount_must_be_a_signed_number(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    response = client.post(
        url(card, "adjust"),
        {"bucket": "points", "amount": "1.5", "reason": "x", "idempotency_key": f.key()},
    )
    assert response.status_code == 422
    assert b"field-error" in response.content
    assert card.operations.count() == 1


def test_hq_admin_may_not_adjust(client_for, card):
    client = client_for(Role.HQ_ADMIN)
    assert b'id="adjust"' not in client.get(url(card)).content
    response = client.post(
        url(card, "adjust"),
        {"bucket": "principal", "amount": "1", "reason": "x", "idempotency_key": f.key()},
    )
    assert response.status_code == 403
    assert card.operations.count() == 1


# Top-up ------------------------------------------------------------------------------------


def test_replayed_top_up_charges_once(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    key = form_key(client.get(url(card)).content, "top-up")
    data = {"amount": "20.00", "tender": "cash", "idempotency_key": key}
    first = client.post(url(card, "top-up"), data)
    second = client.post(url(card, "top-up"), data)
    assert first.status_code == second.status_code == 302
    assert card.operations.filter(kind=OperationKind.TOP_UP).count() == 1
    assert f.balances(card) == (12_000, 0, 0)


def test_top_up_with_a_bad_amount_is_a_field_error(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    response = client.post(
        url(card, "top-up"), {"amount": "-5", "tender": "cash", "idempotency_key": f.key()}
    )
    assert response.status_code == 422
    assert b"field-error" in response.content
    assert f.balances(card) == (10_000, 0, 0)


def test_top_up_over_the_prepaid_limit_is_refused_on_the_form(client_for, card):
    response = client_for(Role.HQ_FINANCE).post(
        url(card, "top-up"), {"amount": "999999", "tender": "cash", "idempotency_key": f.key()}
    )
    assert response.status_code == 422
    assert b"alert error" in response.content or b"field-error" in response.content
    assert card.operations.count() == 1


# Freeze and tiers --------------------------------------------------------------------------


def test_freeze_and_unfreeze(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    assert (
        client.post(url(card, "freeze"), {"action": "freeze", "reason": "lost"}).status_code == 302
    )
    card.refresh_from_db()
    assert card.state == "frozen"
    assert b"Unfreeze the card" in client.get(url(card)).content
    client.post(url(card, "freeze"), {"action": "unfreeze"})
    card.refresh_from_db()
    assert card.state == "active"
    kinds = list(card.operations.values_list("kind", flat=True).order_by("pk"))
    assert kinds == [
        OperationKind.CARD_SALE,
        OperationKind.CARD_FROZEN,
        OperationKind.CARD_UNFROZEN,
    ]


def test_tier_override_needs_a_reason_and_is_recorded(client_for, cashier):
    product = f.product(has_tiers=True, has_points=True, points_per_unit=1)
    Tier.objects.create(product=product, code="gold", name="Gold", rank=2, min_points=1000)
    card = f.sold_card(cashier, product)
    client = client_for(Role.HQ_FINANCE)
    refused = client.post(url(card, "tier"), {"tier": "gold", "reason": ""})
    assert refused.status_code == 422
    assert b"field-error" in refused.content
    assert not TierChange.objects.filter(card=card).exists()
    done = client.post(url(card, "tier"), {"tier": "gold", "reason": "VIP customer"})
    assert done.status_code == 302
    change = TierChange.objects.get(card=card)
    assert (change.to_tier.code, change.reason) == ("gold", "VIP customer")
    assert b"VIP customer" in client.get(url(card)).content


def test_operations_are_not_written_by_a_get(client_for, card):
    before = Operation.objects.count()
    client_for(Role.HQ_FINANCE).get(url(card, "top-up"))
    assert Operation.objects.count() == before


def test_a_key_reused_for_other_values_gets_a_fresh_one(client_for, card):
    client = client_for(Role.HQ_FINANCE)
    key = form_key(client.get(url(card)).content, "top-up")
    client.post(url(card, "top-up"), {"amount": "20.00", "tender": "cash", "idempotency_key": key})
    changed = client.post(
        url(card, "top-up"), {"amount": "30.00", "tender": "cash", "idempotency_key": key}
    )
    assert changed.status_code == 409  # idempotency_conflict, shown on the form
    assert form_key(changed.content, "top-up") != key
    assert card.operations.filter(kind=OperationKind.TOP_UP).count() == 1


def test_the_stock_keeper_sees_no_member_data(client_for, cashier):
    member = Member.objects.create(name="Ann", mobile="13800001234")
    card = f.sold_card(cashier, member=member)
    client = client_for(Role.HQ_STOCK)
    page = client.get(url(card)).content
    assert b"13800001234" not in page and b"Ann" not in page
    assert card.number.encode() not in client.get("/hq/cards/", {"q": "13800001234"}).content
    finance = client_for(Role.HQ_FINANCE).get(url(card)).content
    assert b"13800001234" in finance
