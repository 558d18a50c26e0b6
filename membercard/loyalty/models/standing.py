"""A card's loyalty standing (tier, points owed) and the record of every tier change."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location, Staff, Terminal
from membercard.loyalty.models.programs import Tier


class CardStanding(models.Model):
    """What loyalty keeps about one card; written only with the card's row locked.

    Moves to the replacement card with everything else; cleared when a one-time card is
    handed back or a sale reversed. No row: no tier, nothing owed.
    """

    card = models.OneToOneField("cards.Card", on_delete=models.PROTECT, related_name="standing")
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tier_since = models.DateField(null=True, blank=True, help_text="Business date of the change.")
    held_until = models.DateField(
        null=True, blank=True, help_text="A manual tier is not reviewed down before this date."
    )
    points_owed = models.PositiveBigIntegerField(
        default=0,
        help_text="Points a refund could not take back (product allows going negative); "
        "taken from the next points earned.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"standing of card {self.card_id}"


class TierChangeKind(models.TextChoices):
    UPGRADE = "upgrade", _("Upgrade (threshold reached)")
    DOWNGRADE = "downgrade", _("Downgrade (period review)")
    OVERRIDE = "override", _("Manual override by HQ")
    REVERTED = "reverted", _("Purchase that upgraded was reversed")
    REPLACEMENT = "replacement", _("Moved with a card replacement")
    RESET = "reset", _("Card back from its holder")


class TierChange(models.Model):
    """One change of a card's tier: who, why, when, from and to. Never updated."""

    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="tier_changes")
    kind = models.CharField(max_length=12, choices=TierChangeKind.choices)
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    operation = models.ForeignKey(
        "ledger.Operation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tier_changes",
        help_text="The ledger operation that caused it (a purchase, replacement...).",
    )
    business_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="tier_change_has_reason"),
        ]

    def __str__(self) -> str:
        return f"card {self.card_id}: {self.from_tier_id} -> {self.to_tier_id} ({self.kind})"


class TierReview(models.Model):
    """A period-end review done for one product on one date: the marker that makes the
    review job idempotent."""

    product = models.ForeignKey("cards.CardProduct", on_delete=models.PROTECT, related_name="+")
    review_date = models.DateField(help_text="First day after the period reviewed.")
    cards_reviewed = models.PositiveIntegerField(default=0)
    cards_downgraded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "review_date"], name="tier_review_once"),
        ]

    def __str__(self) -> str:
        return f"tier review of {self.product_id} on {self.review_date}"
