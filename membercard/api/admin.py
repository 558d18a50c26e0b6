"""HQ sees in the admin which terminal keys ask for cards that do not exist."""

from django.contrib import admin

from membercard.api.models import LookupMiss


@admin.register(LookupMiss)
class LookupMissAdmin(admin.ModelAdmin):
    list_display = ["day", "terminal", "store", "misses", "first_miss_at", "last_miss_at"]
    list_filter = ["day", "terminal__location"]
    search_fields = ["terminal__name", "terminal__key_prefix", "terminal__location__code"]
    list_select_related = ["terminal__location"]
    ordering = ["-day", "-misses"]

    @admin.display(description="store", ordering="terminal__location__code")
    def store(self, obj: LookupMiss) -> str:
        return obj.terminal.location.code

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
