"""The loyalty program of a card product: its policy, its tiers and points campaigns,
and the installation's prepaid limits."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location, Staff

# Defaults of the prepaid limits, in minor units of the installation currency.
ANONYMOUS_LIMIT_MINOR = 100_000  # 1 000.00
REGISTERED_LIMIT_MINOR = 500_000  # 5 000.00


class PrepaidLimits(models.Model):
    """The most value (principal + bonus) a card may carry, anonymous or registered.

    Versioned: every change at HQ adds a row (who, when, why); the newest row is in
    force, and without any row the defaults are.
    """

    anonymous_limit_minor = models.PositiveBigIntegerField(default=ANONYMOUS_LIMIT_MINOR)
    registered_limit_minor = models.PositiveBigIntegerField(default=REGISTERED_LIMIT_MINOR)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "prepaid limits"

    def __str__(self) -> str:
        return f"anonymous {self.anonymous_limit_minor}, registered {self.registered_limit_minor}"


class PointsExpiry(models.TextChoices):
    NEVER = "never", _("Never")
    MONTHS = "months", _("After N months")
    YEAR_END = "year_end", _("At the end of the year earned")
    NEXT_YEAR_END = "next_year_end", _("At the end of the year after")


class TierReviewPeriod(models.TextChoices):
    NONE = "none", _("Never (tiers only go up)")
    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every quarter")
    YEARLY = "yearly", _("Every year")


class LoyaltyPolicy(models.Model):
    """A card product's loyalty options beyond the switches on the product itself.

    A product without a row has the defaults (``membercard.loyalty.policies.policy_for``).
    """

    product = models.OneToOneField(
        "cards.CardProduct", on_delete=models.PROTECT, related_name="loyalty_policy"
    )
    requires_member = models.BooleanField(
        default=False, help_text="Sold only to a registered member (no anonymous cards)."
    )
    # Earning.
    points_exclude_bonus = models.BooleanField(
        default=False, help_text="No points on the part paid with bonus value."
    )
    points_exclude_other = models.BooleanField(
        default=False, help_text="No points on the part paid outside the card."
    )
    points_expiry = models.CharField(
        max_length=16, choices=PointsExpiry.choices, default=PointsExpiry.NEVER
    )
    points_validity_months = models.PositiveSmallIntegerField(
        default=12, help_text="For expiry after N months."
    )
    points_may_go_negative = models.BooleanField(
        default=False,
        help_text="A refund whose points were spent leaves the card owing them (paid from "
        "the next points earned); off: the shortfall is recorded and written off.",
    )
    # Points-to-value conversion at a purchase: conversion_points points = conversion_value
    # minor units off. Both 0: no conversion.
    conversion_points = models.PositiveIntegerField(default=0)
    conversion_value_minor = models.PositiveIntegerField(default=0)
    # Tiers.
    tier_window_months = models.PositiveSmallIntegerField(
        null=True, blank=True, default=12, help_text="Thresholds count this far back; empty: ever."
    )
    tier_review = models.CharField(
        max_length=12, choices=TierReviewPeriod.choices, default=TierReviewPeriod.NONE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "loyalty policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(conversion_points=0, conversion_value_minor=0)
                | Q(conversion_points__gt=0, conversion_value_minor__gt=0),
                name="loyalty_conversion_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(points_validity_months__gte=1), name="loyalty_validity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Loyalty policy of {self.product_id}"

    @property
    def converts_points(self) -> bool:
        return self.conversion_points > 0 and self.conversion_value_minor > 0


class Tier(models.Model):
    """A membership level of a product. Higher ``rank`` is better.

    A card qualifies when its spend (net, minor units) and/or points earned within the
    product's window reach the thresholds: either one suffices unless ``needs_both``;
    a tier with no threshold is the entry tier everyone qualifies for.
    """

    product = models.ForeignKey("cards.CardProduct", on_delete=models.PROTECT, related_name="tiers")
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=80)
    rank = models.PositiveSmallIntegerField()
    discount_rate_bp = models.PositiveIntegerField(
        default=0, help_text="Basis points off; replaces the product's own rate."
    )
    points_multiplier_pct = models.PositiveIntegerField(
        default=100, help_text="100 = the product's rate, 150 = one and a half."
    )
    min_spend_minor = models.PositiveBigIntegerField(null=True, blank=True)
    min_points = models.PositiveBigIntegerField(null=True, blank=True)
    needs_both = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["product", "rank"], name="tier_rank_per_product"),
            models.UniqueConstraint(fields=["product", "code"], name="tier_code_per_product"),
            models.CheckConstraint(
                condition=Q(discount_rate_bp__lt=10_000), name="tier_discount_below_100pct"
            ),
            models.CheckConstraint(
                condition=Q(points_multiplier_pct__lte=10_000), name="tier_multiplier_sane"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def qualifies(self, *, spend_minor: int, points: int) -> bool:
        tests = []
        if self.min_spend_minor is not None:
            tests.append(spend_minor >= self.min_spend_minor)
        if self.min_points is not None:
            tests.append(points >= self.min_points)
        if not tests:
            return True
        return all(tests) if self.needs_both else any(tests)


class Campaign(models.Model):
    """Extra points for a while: ``multiplier_pct`` (200 = double points) on the days from
    ``starts_on`` to ``ends_on`` inclusive, at the listed stores and products (none listed:
    all of them). Campaigns do not stack: the highest multiplier that applies wins."""

    name = models.CharField(max_length=120)
    multiplier_pct = models.PositiveIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    stores = models.ManyToManyField(Location, blank=True, related_name="+")
    products = models.ManyToManyField("cards.CardProduct", blank=True, related_name="+")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_dates"
            ),
            models.CheckConstraint(
                condition=Q(multiplier_pct__gte=100, multiplier_pct__lte=10_000),
                name="campaign_multiplier_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name
