"""The audit log in the Django admin: read-only (the database refuses changes anyway)."""

from django.contrib import admin

from membercard.ops.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "username", "role", "location_code", "address", "what"]
    list_filter = ["kind", "location_code"]
    search_fields = ["username", "what", "path", "reference"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
