"""HQ configures a product's loyalty program: its policy, its tiers, points campaigns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from membercard.cards.models import CardProduct
from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.models import Location
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.loyalty.models import Campaign, LoyaltyPolicy, Tier


def _full_clean(item: Any) -> None:
    try:
        item.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(messages[0], field=field) from exc


def _require(actor: Actor) -> None:
    require(actor, Action.CONFIGURE_LOYALTY, _("configure loyalty programs"))


@business_operation
def set_loyalty_policy(*, actor: Actor, product: CardProduct, **options: Any) -> LoyaltyPolicy:
    """Set options of the product's loyalty policy (fields of ``LoyaltyPolicy``)."""
    _require(actor)
    policy, _created = LoyaltyPolicy.objects.get_or_create(product=product)
    allowed = {f.name for f in LoyaltyPolicy._meta.concrete_fields} - {
        "id",
        "product",
        "updated_at",
    }
    unknown = set(options) - allowed
    if unknown:
        raise ValidationFailed(
            _("Unknown policy options: %(options)s.") % {"options": ", ".join(sorted(unknown))}
        )
    for name, value in options.items():
        setattr(policy, name, value)
    _full_clean(policy)
    if (policy.conversion_points > 0) != (policy.conversion_value_minor > 0):
        raise ValidationFailed(_("A conversion names both its points and their value."))
    policy.save()
    return policy


@business_operation
def save_tier(
    *,
    actor: Actor,
    product: CardProduct,
    code: str,
    name: str,
    rank: int,
    discount_rate_bp: int = 0,
    points_multiplier_pct: int = 100,
    min_spend_minor: int | None = None,
    min_points: int | None = None,
    needs_both: bool = False,
) -> Tier:
    """Create or change the product's tier ``code``."""
    _require(actor)
    if not product.has_tiers:
        raise ValidationFailed(
            _("%(product)s has tiers switched off.") % {"product": product.name}, field="product"
        )
    tier = Tier.objects.filter(product=product, code=code).first() or Tier(product=product)
    values = {
        "code": code,
        "name": name,
        "rank": rank,
        "discount_rate_bp": discount_rate_bp,
        "points_multiplier_pct": points_multiplier_pct,
        "min_spend_minor": min_spend_minor,
        "min_points": min_points,
        "needs_both": needs_both,
    }
    for field, value in values.items():
        setattr(tier, field, value)
    if discount_rate_bp >= 10_000:
        raise ValidationFailed(_("A discount must be below 100 %."), field="discount_rate_bp")
    _full_clean(tier)
    tier.save()
    return tier


@business_operation
def save_campaign(
    *,
    actor: Actor,
    name: str,
    multiplier_pct: int,
    starts_on: dt.date,
    ends_on: dt.date,
    stores: Iterable[Location] = (),
    products: Iterable[CardProduct] = (),
) -> Campaign:
    """A points campaign (no stores or products listed: all of them)."""
    _require(actor)
    if ends_on < starts_on:
        raise ValidationFailed(_("A campaign ends on or after its first day."), field="ends_on")
    if not 100 <= multiplier_pct <= 10_000:
        raise ValidationFailed(_("The multiplier is 100 % to 10 000 %."), field="multiplier_pct")
    campaign = Campaign(
        name=name.strip(),
        multiplier_pct=multiplier_pct,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor.staff,
    )
    _full_clean(campaign)
    campaign.save()
    campaign.stores.set(list(stores))
    campaign.products.set(list(products))
    return campaign
