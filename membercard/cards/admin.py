from django import forms
from django.contrib import admin

from membercard.cards.models import Card, CardProduct
from membercard.core.percent import DiscountPercentField


class CardProductAdminForm(forms.ModelForm):
    """The discount is entered as a percent here too, as on every other page."""

    discount_rate_bp = DiscountPercentField()

    class Meta:
        model = CardProduct
        fields = ["discount_rate_bp"]  # the admin adds the others (its get_form)


@admin.register(CardProduct)
class CardProductAdmin(admin.ModelAdmin):
    form = CardProductAdminForm
    list_display = [
        "code",
        "name",
        "has_stored_value",
        "has_discount",
        "has_points",
        "rechargeable",
        "stores_may_top_up",
        "is_active",
    ]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    """Cards change only through services: the admin shows them read-only."""

    list_display = ["number", "product", "state", "location", "member", "expires_on"]
    list_filter = ["state", "product", "location"]
    search_fields = ["number", "uid"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
