from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from membercard.core.models import Location, Staff, Terminal


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "location", "is_active"]
    list_filter = ["role", "location", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Role", {"fields": ["role", "location", "language"]}),
    ]


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "key_prefix", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["key_prefix", "key_hash", "created_at", "last_used_at"]
