"""HQ sees in the admin which terminal keys and staff members ask for cards that do not
exist (the back office's "Look-up misses" page shows the same)."""

from django.contrib import admin

from membercard.api.models import LookupMiss


@admin.register(LookupMiss)
class LookupMissAdmin(admin.ModelAdmin):
    list_display = ["day", "who", "store", "misses", "first_miss_at", "last_miss_at"]
    list_filter = ["day", "location"]
    search_fields = ["terminal__name", "terminal__key_prefix", "staff__username", "location__code"]
    list_select_related = ["terminal", "staff", "location"]
    ordering = ["-day", "-misses"]

    @admin.display(description="store", ordering="location__code")
    def store(self, obj: LookupMiss) -> str:
        return obj.location.code

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
