"""The ledger in the admin: to look at, never to change."""

from django.contrib import admin

from membercard.ledger.models import Account, Operation, Transfer


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TransferInline(admin.TabularInline):
    model = Transfer
    fk_name = "operation"
    extra = 0
    can_delete = False
    fields = [
        "debit_account",
        "credit_account",
        "unit",
        "amount",
        "debit_balance_after",
        "credit_balance_after",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Operation)
class OperationAdmin(ReadOnly):
    list_display = [
        "id",
        "kind",
        "card",
        "location",
        "business_date",
        "gross_minor",
        "discount_minor",
        "net_minor",
        "created_at",
    ]
    list_filter = ["kind", "location", "business_date"]
    search_fields = ["card__number", "reference"]
    inlines = [TransferInline]


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ["code", "kind", "unit", "location", "balance"]
    list_filter = ["kind", "unit"]
    search_fields = ["code"]
