from django.contrib import admin

from membercard.cards.models import Card, CardProduct


@admin.register(CardProduct)
class CardProductAdmin(admin.ModelAdmin):
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
