"""The double-entry, append-only ledger: accounts, operations, transfers.

* An **Account** holds a balance in one unit (money or points). Card accounts keep
  a running ``balance`` (locked through their card row, never negative); house
  accounts do not (one hot row per store would serialize the chain) and are
  sums of transfers.
* An **Operation** is one business event; a **Transfer** moves an amount from a
  debit account to a credit account inside it. Every transfer is two-sided, so
  every operation balances per unit by construction; the database refuses a
  transfer whose accounts are of another unit.
* Balances are ``credits - debits`` for every account. Money flows *into* a card
  from a tender account (the customer paid the store) and *out* to a
  value-redeemed account (the customer spent it).
* Operations, transfers and chain links are never updated or deleted: triggers
  in ``sql/`` refuse it on SQLite and PostgreSQL. Mistakes are undone by new
  operations (reversal, refund, adjustment) that point at the old one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercard.cards.models import Card
from membercard.cards.reader import ReadAs
from membercard.core.models import Location, Staff, Terminal


class Unit(models.TextChoices):
    MONEY = "money", _("Money (minor units)")
    POINTS = "points", _("Points")


class Tender(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_CARD = "bank_card", _("Bank card")
    MOBILE_PAY = "mobile_pay", _("Mobile pay")


class AccountKind(models.TextChoices):
    # Per card.
    CARD_PRINCIPAL = "card_principal", _("Card principal")
    CARD_BONUS = "card_bonus", _("Card bonus")
    CARD_POINTS = "card_points", _("Card points")
    # Houses, per location (and tender).
    TENDER = "tender", _("Takings by tender")
    VALUE_REDEEMED = "value_redeemed", _("Card value redeemed")
    CARD_FEES = "card_fees", _("Card fees")
    DEPOSITS = "deposits", _("Card deposits held")
    POINTS_REDEEMED = "points_redeemed", _("Points redeemed")
    # Houses, at HQ.
    PROMOTIONS = "promotions", _("Bonus value granted (promotions)")
    ADJUSTMENTS = "adjustments", _("Adjustments")
    BREAKAGE = "breakage", _("Breakage (expired value)")
    POINTS_ISSUED = "points_issued", _("Points issued")
    POINTS_EXPIRED = "points_expired", _("Points expired")
    POINTS_ADJUSTMENTS = "points_adjustments", _("Points adjustments")


CARD_ACCOUNT_KINDS = (
    AccountKind.CARD_PRINCIPAL,
    AccountKind.CARD_BONUS,
    AccountKind.CARD_POINTS,
)
POINTS_KINDS = frozenset(
    {
        AccountKind.CARD_POINTS,
        AccountKind.POINTS_REDEEMED,
        AccountKind.POINTS_ISSUED,
        AccountKind.POINTS_EXPIRED,
        AccountKind.POINTS_ADJUSTMENTS,
    }
)


def unit_of(kind: AccountKind | str) -> Unit:
    return Unit.POINTS if kind in POINTS_KINDS else Unit.MONEY


class Account(models.Model):
    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    unit = models.CharField(max_length=8, choices=Unit.choices)
    card = models.ForeignKey(
        Card, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tender = models.CharField(max_length=16, choices=Tender.choices, blank=True)
    balance = models.BigIntegerField(default=0, help_text="Running balance (card accounts only).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="account_balance_not_negative"
            ),
            models.UniqueConstraint(
                fields=["card", "kind"],
                condition=Q(card__isnull=False),
                name="one_account_per_card_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class OperationKind(models.TextChoices):
    CARD_SALE = "card_sale", _("Card sale")
    TOP_UP = "top_up", _("Top-up")
    PURCHASE = "purchase", _("Purchase")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")
    ADJUSTMENT = "adjustment", _("Adjustment")
    CARD_FROZEN = "card_frozen", _("Card frozen")
    CARD_UNFROZEN = "card_unfrozen", _("Card unfrozen")
    CARD_REPLACEMENT = "card_replacement", _("Balance moved to a replacement card")
    CARD_RECOVERY = "card_recovery", _("One-time card recovered")
    GIFT_REDEMPTION = "gift_redemption", _("Gift redemption")
    POINTS_EXPIRE = "points_expire", _("Points expired")


class Operation(models.Model):
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="operations")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="operations")
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="operations"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="operations"
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="Server time.")
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="Terminal time.")
    business_date = models.DateField(db_index=True)
    read_as = models.CharField(
        max_length=8, choices=[(r.value, r.value.title()) for r in ReadAs], blank=True
    )
    currency = models.CharField(max_length=3)
    # What the customer saw.
    gross_minor = models.BigIntegerField(default=0)
    discount_minor = models.BigIntegerField(default=0)
    net_minor = models.BigIntegerField(default=0)
    paid_other_minor = models.BigIntegerField(
        default=0, help_text="Part of a purchase paid outside the card."
    )
    tender = models.CharField(max_length=16, choices=Tender.choices, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    related_card = models.ForeignKey(
        Card,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The other card of a replacement.",
    )
    reason = models.TextField(blank=True)
    reference = models.CharField(max_length=64, blank=True, help_text="The till's reference.")
    details = models.JSONField(default=dict, blank=True, help_text="Structured extras.")
    # Not stored: True on the operation a service returns for a replayed idempotency key
    # (set by ``ledger.idempotency``), so a face can tell a replay without guessing.
    replayed: bool = False

    class Meta:
        indexes = [
            models.Index(fields=["card", "-id"], name="operation_card_history"),
            models.Index(fields=["location", "business_date"], name="operation_store_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(gross_minor__gte=0)
                & Q(discount_minor__gte=0)
                & Q(net_minor__gte=0)
                & Q(paid_other_minor__gte=0),
                name="operation_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.get_kind_display()}"

    @property
    def receipt_number(self) -> str:
        return f"R{self.pk:010d}"


class Transfer(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="transfers")
    debit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    unit = models.CharField(max_length=8, choices=Unit.choices)
    amount = models.BigIntegerField()
    # Running balance of each side after this transfer, where that side is a card account.
    debit_balance_after = models.BigIntegerField(null=True, blank=True)
    credit_balance_after = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=models.F("credit_account")),
                name="transfer_two_accounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.debit_account_id}->{self.credit_account_id} {self.amount} {self.unit}"


class ChainLink(models.Model):
    """One link of a card's hash chain: hash = sha256(prev_hash + digest of the operation)."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="chain")
    seq = models.PositiveIntegerField()
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="chain_links")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["card", "seq"], name="chain_seq_per_card"),
            models.UniqueConstraint(fields=["card", "operation"], name="chain_op_once_per_card"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id}#{self.seq}"


class IdempotencyRecord(models.Model):
    """A client key, claimed in the same transaction as the operation it produced."""

    scope = models.CharField(max_length=32, help_text="terminal:<id> or staff:<id>.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    operation = models.ForeignKey(
        Operation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key}"
