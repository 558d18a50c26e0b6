"""What a purchase costs and earns under the loyalty program: the discount rate (tier or
product), points paying part of it (conversion), and the points it earns (exclusions,
tier and campaign multipliers). Pure reads for ``purchase``; nothing is written here.

* Discount: the card's tier rate if it has a tier, else the product's rate (a tier's rate
  *replaces* the product's, it is not added to it). Rounded down (``discount_of``).
* Points paying: under the product's conversion rule, value rounded down, points charged
  rounded up (``points_value_minor``, ``points_for_value``); never more than what is left
  after the discount. The value counts as discount (see ``membercard.core.money``).
* Earning: ``points_per_unit`` per major unit of the net amount paid in money, minus the
  part paid with bonus value and/or outside the card where the product excludes them,
  times the tier multiplier and the best campaign multiplier, rounded down once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from membercard.cards.models import Card, CardProduct
from membercard.core.models import Location
from membercard.core.money import discount_of, points_earned, points_for_value, points_value_minor
from membercard.loyalty.errors import PointsNotConvertible
from membercard.loyalty.models import Campaign, LoyaltyPolicy, Tier
from membercard.loyalty.services.points import check_points
from membercard.loyalty.services.tiers import current_tier


def discount_rate(product: CardProduct, tier: Tier | None) -> int:
    """Basis points off: the tier's rate replaces the product's."""
    if tier is not None:
        return tier.discount_rate_bp
    return product.discount_rate_bp if product.has_discount else 0


@dataclass(frozen=True)
class PurchaseTerms:
    tier: Tier | None
    rate_bp: int
    discount_minor: int  # by the rate
    points_redeemed: int = 0
    points_off_minor: int = 0

    @property
    def total_discount_minor(self) -> int:
        return self.discount_minor + self.points_off_minor

    def details(self) -> dict[str, Any]:
        """What the operation records beyond ``points_earned`` (only what applies)."""
        out: dict[str, Any] = {}
        if self.tier is not None:
            out.update(tier=self.tier.code, discount_rate_bp=self.rate_bp)
        if self.points_redeemed:
            out.update(points_redeemed=self.points_redeemed, points_off_minor=self.points_off_minor)
        return out


def purchase_terms(
    *, card: Card, policy: LoyaltyPolicy, gross_minor: int, redeem_points: int = 0
) -> PurchaseTerms:
    """The discount and the points paying for a purchase of ``gross_minor``, at the tier
    the card has *before* this purchase."""
    product = card.product
    tier = current_tier(card)
    rate = discount_rate(product, tier)
    discount = discount_of(gross_minor, rate)
    if not redeem_points:
        return PurchaseTerms(tier, rate, discount)
    check_points(redeem_points, field="redeem_points")
    if not (product.has_points and policy.converts_points):
        raise PointsNotConvertible()
    rule = (policy.conversion_points, policy.conversion_value_minor)
    value = min(points_value_minor(redeem_points, *rule), gross_minor - discount)
    if value <= 0:
        raise PointsNotConvertible(
            _("%(points)d points are worth less than the smallest coin here.")
            % {"points": redeem_points},
            conversion_points=rule[0],
            conversion_value_minor=rule[1],
        )
    return PurchaseTerms(tier, rate, discount, points_for_value(value, *rule), value)


@dataclass(frozen=True)
class Earning:
    points: int
    tier_multiplier_pct: int = 100
    campaign: Campaign | None = field(default=None)

    def details(self) -> dict[str, Any]:
        if self.campaign is None:
            return {}
        return {
            "campaign": self.campaign.pk,
            "campaign_multiplier_pct": self.campaign.multiplier_pct,
        }


def campaign_for(product: CardProduct, location: Location, on: dt.date) -> Campaign | None:
    """The campaign with the highest multiplier running on ``on`` at ``location`` for
    ``product`` (a campaign listing no stores or no products covers all of them)."""
    return (
        Campaign.objects.filter(is_active=True, starts_on__lte=on, ends_on__gte=on)
        .filter(Q(stores__isnull=True) | Q(stores=location))
        .filter(Q(products__isnull=True) | Q(products=product))
        .order_by("-multiplier_pct", "pk")
        .first()
    )


def points_to_earn(
    *,
    card: Card,
    policy: LoyaltyPolicy,
    tier: Tier | None,
    net_minor: int,
    from_bonus_minor: int,
    paid_other_minor: int,
    location: Location,
    on: dt.date,
) -> Earning:
    """Points a purchase earns (see the module rules)."""
    product = card.product
    if not product.has_points:
        return Earning(0)
    base = net_minor
    if policy.points_exclude_bonus:
        base -= from_bonus_minor
    if policy.points_exclude_other:
        base -= paid_other_minor
    tier_pct = tier.points_multiplier_pct if tier is not None else 100
    campaign = campaign_for(product, location, on)
    campaign_pct = campaign.multiplier_pct if campaign is not None else 100
    points = points_earned(max(base, 0), product.points_per_unit, tier_pct, campaign_pct)
    return Earning(points, tier_pct, campaign)
