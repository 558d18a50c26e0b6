"""Back-office views of loyalty tables. Ledger-backed rows (lots, tier changes, the access
log) are read-only here: they change only through the services."""

from django import forms
from django.contrib import admin

from membercard.core.percent import DiscountPercentField
from membercard.loyalty.models import (
    Campaign,
    CardStanding,
    Gift,
    GiftStock,
    GiftStockMovement,
    LoyaltyPolicy,
    Member,
    MemberAccessLog,
    PointsLot,
    PrepaidLimits,
    Tier,
    TierChange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "mobile", "registered_at", "marketing_sms", "created_at"]
    search_fields = ["name", "mobile"]


@admin.register(LoyaltyPolicy)
class LoyaltyPolicyAdmin(admin.ModelAdmin):
    list_display = ["product", "requires_member", "points_expiry", "tier_review"]


class TierAdminForm(forms.ModelForm):
    """The discount is entered as a percent here too, as on every other page."""

    discount_rate_bp = DiscountPercentField()

    class Meta:
        model = Tier
        fields = ["discount_rate_bp"]  # the admin adds the others (its get_form)


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = TierAdminForm
    list_display = ["product", "rank", "name", "discount_rate_bp", "points_multiplier_pct"]
    list_filter = ["product"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "multiplier_pct", "starts_on", "ends_on", "is_active"]


@admin.register(PrepaidLimits)
class PrepaidLimitsAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "anonymous_limit_minor", "registered_limit_minor", "changed_by"]


@admin.register(CardStanding)
class CardStandingAdmin(ReadOnlyAdmin):
    list_display = ["card", "tier", "tier_since", "held_until", "points_owed"]


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "card", "kind", "from_tier", "to_tier", "staff", "location"]


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ["card", "points", "remaining", "earned_on", "expires_on"]


@admin.register(MemberAccessLog)
class MemberAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "staff", "terminal", "location", "count"]


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    """The catalog; validated by the model as in the services. Stock changes only through the
    stock services (receive, send, adjust), never here."""

    list_display = ["code", "name", "points_price", "active_from", "active_until", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_by", "created_at", "updated_by", "updated_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # stock movements and redemptions point at it: withdraw it instead

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GiftStock)
class GiftStockAdmin(ReadOnlyAdmin):
    list_display = ["gift", "location", "quantity", "updated_at"]
    list_filter = ["location"]


@admin.register(GiftStockMovement)
class GiftStockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "gift", "location", "kind", "delta", "balance_after", "staff"]
    list_filter = ["kind", "location"]
    search_fields = ["gift__code", "reason"]
