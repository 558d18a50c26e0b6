from django.contrib import admin

from membercard.loyalty.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "mobile", "registered_at", "created_at"]
    search_fields = ["name", "mobile"]
