"""Four eyes on money settings (``membercard.approvals.settings_changes``): prepaid limits
and a card product's money policy change only once someone other than the maker approves;
the other product fields save at once; a setting that moved since the request is stale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.services import approve, reject
from membercard.approvals.settings_changes import request_prepaid_limits, request_product_change
from membercard.cards.models import CardProduct
from membercard.core.errors import (
    NotPermitted,
    OwnRequest,
    RequestDecided,
    RequestExpired,
    RequestStale,
    ValidationFailed,
)
from membercard.core.models import Role
from membercard.loyalty.models import PrepaidLimits
from membercard.loyalty.services.limits import current_limits, set_prepaid_limits
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def checker():
    return f.actor(Role.HQ_FINANCE)


def ask_limits(actor, anonymous=50_000, registered=600_000, **kw):
    kw.setdefault("reason", "New regulation")
    kw.setdefault("idempotency_key", f.key())
    return request_prepaid_limits(
        actor=actor, anonymous_limit_minor=anonymous, registered_limit_minor=registered, **kw
    )


def limits_now():
    limits = current_limits()
    return limits.anonymous_limit_minor, limits.registered_limit_minor


# Prepaid limits ---------------------------------------------------------------------------


def test_a_limits_request_changes_nothing_and_shows_before_and_after(finance):
    before = limits_now()
    request = ask_limits(finance)
    assert (request.kind, request.state) == (RequestKind.PREPAID_LIMITS, RequestState.PENDING)
    assert limits_now() == before and not PrepaidLimits.objects.exists()
    assert request.preview == {
        "before": {"anonymous_limit_minor": before[0], "registered_limit_minor": before[1]},
        "after": {"anonymous_limit_minor": 50_000, "registered_limit_minor": 600_000},
        "reason": "New regulation",
    }


def test_the_approval_applies_the_limits_once_as_the_makers_change(finance, checker):
    request = ask_limits(finance)
    with pytest.raises(OwnRequest):
        approve(actor=finance, request_id=request.pk)
    approve(actor=checker, request_id=request.pk)
    row = PrepaidLimits.objects.get()
    assert (row.anonymous_limit_minor, row.registered_limit_minor) == (50_000, 600_000)
    assert (row.changed_by, row.reason) == (finance.staff, "New regulation")
    with pytest.raises(RequestDecided):
        approve(actor=f.actor(Role.HQ_ADMIN), request_id=request.pk)
    assert PrepaidLimits.objects.count() == 1


def test_rejected_expired_or_stale_limits_change_nothing(finance, checker):
    rejected = ask_limits(finance)
    reject(actor=checker, request_id=rejected.pk, note="Not yet in force")
    expired = ask_limits(finance, anonymous=40_000)
    ApprovalRequest.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    with pytest.raises(RequestExpired):
        approve(actor=checker, request_id=expired.pk)
    assert not PrepaidLimits.objects.exists()
    stale = ask_limits(finance, anonymous=30_000)
    # The limits change by another way meanwhile (an earlier approved request, say).
    set_prepaid_limits(
        actor=checker, anonymous_limit_minor=70_000, registered_limit_minor=500_000, reason="x"
    )
    with pytest.raises(RequestStale):
        approve(actor=f.actor(Role.HQ_ADMIN), request_id=stale.pk)
    assert limits_now() == (70_000, 500_000)


def test_limits_requests_are_checked_when_filed(finance):
    with pytest.raises(ValidationFailed):
        ask_limits(finance, anonymous=700_000, registered=600_000)
    with pytest.raises(ValidationFailed):
        ask_limits(finance, reason=" ")
    with pytest.raises(ValidationFailed, match="already in force"):
        ask_limits(finance, *limits_now())
    with pytest.raises(NotPermitted):
        ask_limits(f.actor(Role.HQ_STOCK))
    assert not ApprovalRequest.objects.exists()


def test_a_stock_keeper_does_not_decide_limits(finance):
    request = ask_limits(finance)
    with pytest.raises(NotPermitted):
        approve(actor=f.actor(Role.HQ_STOCK), request_id=request.pk)


# Card product money policy ----------------------------------------------------------------


@pytest.fixture
def admin():
    return f.actor(Role.HQ_ADMIN)


def edited(product: CardProduct, **changes) -> CardProduct:
    """The product as a form would hand it over: fetched, changed, not saved."""
    copy = CardProduct.objects.get(pk=product.pk)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def test_a_new_product_and_plain_fields_save_at_once(admin):
    product = CardProduct(code="silver", name="Silver", has_stored_value=True, number_prefix="8899")
    saved = request_product_change(actor=admin, product=product, idempotency_key=f.key())
    assert saved.request is None and saved.product.pk is not None
    renamed = request_product_change(
        actor=admin, product=edited(saved.product, name="Silver card"), idempotency_key=f.key()
    )
    assert renamed.request is None
    assert CardProduct.objects.get(pk=product.pk).name == "Silver card"
    assert not ApprovalRequest.objects.exists()


def test_a_money_policy_change_waits_while_the_name_saves(admin):
    product = f.product(card_fee_minor=500, face_values=[10_000])
    change = edited(product, name="Value card 2026", card_fee_minor=800, pin_required=True)

    saved = request_product_change(actor=admin, product=change, idempotency_key=f.key())

    stored = CardProduct.objects.get(pk=product.pk)
    assert (stored.name, stored.card_fee_minor, stored.pin_required) == (
        "Value card 2026",
        500,
        False,
    )
    request = saved.request
    assert request.kind == RequestKind.PRODUCT_POLICY
    assert request.preview["before"] == {"card_fee_minor": 500, "pin_required": False}
    assert request.preview["after"] == {"card_fee_minor": 800, "pin_required": True}

    with pytest.raises(OwnRequest):
        approve(actor=admin, request_id=request.pk)
    approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
    stored.refresh_from_db()
    assert (stored.card_fee_minor, stored.pin_required) == (800, True)
    with pytest.raises(RequestDecided):
        approve(actor=f.actor(Role.HQ_ADMIN), request_id=request.pk)


def test_a_policy_change_is_checked_whole_when_filed(admin):
    product = f.product()
    # A discount switched on needs its rate: refused now, nothing saved or filed.
    with pytest.raises(ValidationFailed):
        request_product_change(
            actor=admin,
            product=edited(product, name="Renamed", has_discount=True, discount_rate_bp=0),
            idempotency_key=f.key(),
        )
    assert CardProduct.objects.get(pk=product.pk).name == product.name
    assert not ApprovalRequest.objects.exists()


def test_rejected_or_stale_policy_changes_change_nothing(admin):
    product = f.product(deposit_minor=0)
    finance = f.actor(Role.HQ_FINANCE)
    rejected = request_product_change(
        actor=admin, product=edited(product, deposit_minor=1_000), idempotency_key=f.key()
    ).request
    reject(actor=finance, request_id=rejected.pk, note="No deposit on value cards")
    stale = request_product_change(
        actor=admin, product=edited(product, deposit_minor=2_000), idempotency_key=f.key()
    ).request
    later = request_product_change(
        actor=admin, product=edited(product, deposit_minor=3_000), idempotency_key=f.key()
    ).request
    approve(actor=finance, request_id=later.pk)
    with pytest.raises(RequestStale):
        approve(actor=finance, request_id=stale.pk)
    assert CardProduct.objects.get(pk=product.pk).deposit_minor == 3_000


def test_expired_policy_change_changes_nothing(admin):
    product = f.product(unit_cost_minor=100)
    request = request_product_change(
        actor=admin, product=edited(product, unit_cost_minor=150), idempotency_key=f.key()
    ).request
    ApprovalRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    with pytest.raises(RequestExpired):
        approve(actor=f.actor(Role.HQ_FINANCE), request_id=request.pk)
    assert CardProduct.objects.get(pk=product.pk).unit_cost_minor == 100
