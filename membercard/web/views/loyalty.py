"""HQ loyalty pages: each product's points rules and tiers, the prepaid limits with their
history, and points campaigns. Everyone at HQ reads; HQ admin configures (the limits:
admin or finance). The services decide; these views parse, call and render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.approvals.settings_changes import request_prepaid_limits
from membercard.cards.models import CardProduct
from membercard.core.calendar import today
from membercard.core.errors import NotFound
from membercard.core.models import Location, LocationKind
from membercard.core.percent import percent_text
from membercard.core.permissions import Action, allowed, require
from membercard.loyalty.models import Campaign, LoyaltyPolicy, PrepaidLimits, Tier
from membercard.loyalty.policies import policy_for
from membercard.loyalty.services.admin import end_campaign, update_campaign
from membercard.loyalty.services.limits import current_limits
from membercard.loyalty.services.programs import save_campaign, save_tier, set_loyalty_policy
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.amounts import format_for_input as _major
from membercard.web.forms.flows import form_page, submit
from membercard.web.forms.loyalty import CampaignForm, LimitsForm, PolicyForm, TierForm
from membercard.web.lists import list_page


def _product(code: str) -> CardProduct:
    product = CardProduct.objects.filter(code=code).first()
    if product is None:
        raise NotFound(_("No such card product."))
    return product


# Overview and prepaid limits ------------------------------------------------------------


def _overview(request: HttpRequest, limits_form: LimitsForm | None = None, status: int = 200):
    actor = actor_of(request)
    products = CardProduct.objects.order_by("name")
    policies = {p.product_id: p for p in LoyaltyPolicy.objects.all()}
    rows = [
        {
            "product": product,
            "policy": policies.get(product.pk) or policy_for(product),
            "tiers": list(Tier.objects.filter(product=product).order_by("rank")),
        }
        for product in products
    ]
    limits = current_limits()
    if limits_form is None:
        limits_form = LimitsForm(
            initial={
                "anonymous_limit": _major(limits.anonymous_limit_minor),
                "registered_limit": _major(limits.registered_limit_minor),
            }
        )
    context = {
        "rows": rows,
        "limits": limits,
        "limits_history": PrepaidLimits.objects.select_related("changed_by").order_by("-pk")[:20],
        "limits_form": limits_form if allowed(actor, Action.SET_PREPAID_LIMITS) else None,
    }
    return render(request, "web/loyalty/overview.html", context, status=status)


@access.staff_page(Action.VIEW_SETUP)
def loyalty_overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


@require_POST
@access.staff_page(Action.SET_PREPAID_LIMITS)
def limits_save(request: HttpRequest) -> HttpResponse:
    form = LimitsForm(request.POST)
    outcome = submit(
        form,
        lambda data: request_prepaid_limits(
            actor=actor_of(request),
            anonymous_limit_minor=data["anonymous_limit"],
            registered_limit_minor=data["registered_limit"],
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
        ),
    )
    if outcome.done:  # four eyes: the change waits for someone else's approval
        number = outcome.result.pk
        messages.success(
            request,
            _("Sent for approval: request #%(number)d. The limits change once approved.")
            % {"number": number},
        )
        return redirect(reverse("web:approval", args=[number]))
    return _overview(request, form, outcome.status)


# One product: policy and tiers ----------------------------------------------------------

POLICY_FIELDS = (
    "requires_member", "points_exclude_bonus", "points_exclude_other", "points_expiry",
    "points_validity_months", "points_may_go_negative", "conversion_points",
    "tier_window_months", "tier_review",
)  # fmt: skip


def _product_page(request, product, *, policy_form=None, tier_form=None, status=200):
    actor = actor_of(request)
    policy = policy_for(product)
    admin = allowed(actor, Action.CONFIGURE_LOYALTY)
    if admin and policy_form is None:
        initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
        if policy.conversion_value_minor:
            initial["conversion_value"] = _major(policy.conversion_value_minor)
        policy_form = PolicyForm(initial=initial)
    if admin and tier_form is None and product.has_tiers:
        tier_form = TierForm()
    context = {
        "product": product,
        "policy": policy,
        "tiers": _tiers_with_pct(product),
        "policy_form": policy_form if admin else None,
        "tier_form": tier_form if admin else None,
    }
    return render(request, "web/loyalty/product.html", context, status=status)


def _tiers_with_pct(product: CardProduct) -> list[Tier]:
    tiers = list(Tier.objects.filter(product=product).order_by("rank"))
    for tier in tiers:
        tier.discount_pct = percent_text(tier.discount_rate_bp)
    return tiers


@access.staff_page(Action.VIEW_SETUP)
def loyalty_product(request: HttpRequest, code: str) -> HttpResponse:
    product = _product(code)
    if request.method != "POST":
        return _product_page(request, product)
    actor = actor_of(request)
    require(actor, Action.CONFIGURE_LOYALTY, _("configure loyalty programs"))
    form = PolicyForm(request.POST)

    def save(data: dict):
        options = {name: data[name] for name in POLICY_FIELDS}
        options["conversion_value_minor"] = data["conversion_value"] or 0
        return set_loyalty_policy(actor=actor, product=product, **options)

    outcome = submit(form, save)
    if outcome.done:
        messages.success(request, _("The points rules were saved."))
        return redirect(reverse("web:loyalty-product", args=[product.code]))
    return _product_page(request, product, policy_form=form, status=outcome.status)


def _tier_values(data: dict) -> dict:
    return {
        "code": data["code"],
        "name": data["name"],
        "rank": data["rank"],
        "discount_rate_bp": data["discount_pct"],
        "points_multiplier_pct": data["points_multiplier_pct"],
        "min_spend_minor": data["min_spend"],
        "min_points": data["min_points"],
        "needs_both": data["needs_both"],
    }


@access.staff_page(Action.CONFIGURE_LOYALTY)
def tier_edit(request: HttpRequest, code: str, tier_code: str | None = None) -> HttpResponse:
    """GET: a tier's form (HQ admin). POST: create or change a tier of the product."""
    product = _product(code)
    actor = actor_of(request)
    tier = None
    if tier_code is not None:
        tier = Tier.objects.filter(product=product, code=tier_code).first()
        if tier is None:
            raise NotFound(_("No such tier."))
    if request.method == "POST":
        form = TierForm(request.POST)
        if tier is not None:
            form.fields["code"].disabled = True
            form.fields["code"].initial = tier.code
        outcome = submit(
            form, lambda data: save_tier(actor=actor, product=product, **_tier_values(data))
        )
        if outcome.done:
            messages.success(request, _("The tier was saved."))
            return redirect(reverse("web:loyalty-product", args=[product.code]))
        if tier is None:
            return _product_page(request, product, tier_form=form, status=outcome.status)
        status = outcome.status
    else:
        if tier is None:
            return redirect(reverse("web:loyalty-product", args=[product.code]))
        form = TierForm(
            initial={
                "code": tier.code,
                "name": tier.name,
                "rank": tier.rank,
                "discount_pct": tier.discount_rate_bp,
                "points_multiplier_pct": tier.points_multiplier_pct,
                "min_spend": _major(tier.min_spend_minor) if tier.min_spend_minor else "",
                "min_points": tier.min_points,
                "needs_both": tier.needs_both,
            }
        )
        form.fields["code"].disabled = True
        status = 200
    context = {"product": product, "tier": tier, "form": form}
    return render(request, "web/loyalty/tier_edit.html", context, status=status)


# Campaigns ------------------------------------------------------------------------------


def _campaign_form(*args, **kwargs) -> CampaignForm:
    stores = Location.objects.filter(kind=LocationKind.STORE, is_active=True).order_by("code")
    products = CardProduct.objects.filter(has_points=True).order_by("name")
    return CampaignForm(*args, stores=stores, products=products, **kwargs)


@access.staff_page(Action.VIEW_SETUP)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.prefetch_related("stores", "products")
    listing = list_page(
        request,
        campaigns,
        search=("name__icontains",),
        sortable=("name", "starts_on", "ends_on", "multiplier_pct"),
        default_sort="-starts_on",
    )
    context = {
        "listing": listing,
        "today": today(),
        "can_edit": allowed(actor_of(request), Action.CONFIGURE_LOYALTY),
    }
    return render(request, "web/loyalty/campaigns.html", context)


def _campaigns_page(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("web:campaigns"))


@access.staff_page(Action.CONFIGURE_LOYALTY)
def campaign_new(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        _campaign_form(request.POST or None),
        lambda data: save_campaign(actor=actor_of(request), **data),
        done=lambda _campaign: _campaigns_page(request, _("The campaign was created.")),
        template="web/loyalty/campaign_form.html",
        context={"campaign": None},
    )


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No such campaign."))
    return campaign


@access.staff_page(Action.CONFIGURE_LOYALTY)
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(campaign_id)
    if request.method == "POST":
        form = _campaign_form(request.POST)
    else:
        form = _campaign_form(
            initial={
                "name": campaign.name,
                "multiplier_pct": campaign.multiplier_pct,
                "starts_on": campaign.starts_on,
                "ends_on": campaign.ends_on,
                "stores": list(campaign.stores.all()),
                "products": list(campaign.products.all()),
            }
        )
    return form_page(
        request,
        form,
        lambda data: update_campaign(
            actor=actor_of(request),
            campaign_id=campaign.pk,
            is_active=campaign.is_active,
            **data,
        ),
        done=lambda _saved: _campaigns_page(request, _("The campaign was saved.")),
        template="web/loyalty/campaign_form.html",
        context={"campaign": campaign},
    )


@require_POST
@access.staff_page(Action.CONFIGURE_LOYALTY)
def campaign_end(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(campaign_id)
    end_campaign(actor=actor_of(request), campaign_id=campaign.pk)
    messages.success(request, _("The campaign %(name)s was ended.") % {"name": campaign.name})
    return redirect(reverse("web:campaigns"))
