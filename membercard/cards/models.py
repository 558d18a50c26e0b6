"""Card products (switches and policies) and cards."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from membercard.cards.states import AT_A_LOCATION, CardState
from membercard.core.models import Location

GENESIS_HASH = "0" * 64


class SpendOrder(models.TextChoices):
    PRINCIPAL_FIRST = "principal_first", _("Principal first")
    BONUS_FIRST = "bonus_first", _("Bonus first")


class ValueOnHandBack(models.TextChoices):
    """What happens to value left on a one-time card handed back (``operations.hand_back``)."""

    REFUSE = "refuse", _("Refuse: the customer spends it first")
    PAY_OUT = "pay_out", _("Pay out the principal (the bonus is forfeited)")


class CardProduct(models.Model):
    """What a kind of card can do, and the policies that go with it."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    # Switches.
    has_stored_value = models.BooleanField(default=True)
    has_discount = models.BooleanField(default=False)
    has_tiers = models.BooleanField(default=False)
    has_points = models.BooleanField(default=False)

    # Policies.
    rechargeable = models.BooleanField(default=True, help_text="Off: a one-time card.")
    face_values = models.JSONField(
        default=list, blank=True, help_text="Allowed initial values in minor units; empty = any."
    )
    bonus_rules = models.JSONField(
        default=list,
        blank=True,
        help_text="[[threshold, bonus], ...] in minor units: top up at least threshold, get bonus.",
    )
    discount_rate_bp = models.PositiveIntegerField(default=0, help_text="Basis points off.")
    points_per_unit = models.PositiveIntegerField(
        default=0, help_text="Points per major currency unit of the net amount."
    )
    spend_order = models.CharField(
        max_length=16, choices=SpendOrder.choices, default=SpendOrder.PRINCIPAL_FIRST
    )
    card_fee_minor = models.PositiveBigIntegerField(default=0, help_text="Kept by the merchant.")
    deposit_minor = models.PositiveBigIntegerField(default=0, help_text="Refunded on recovery.")
    value_on_hand_back = models.CharField(
        max_length=8,
        choices=ValueOnHandBack.choices,
        default=ValueOnHandBack.REFUSE,
        help_text="A one-time card handed back with value left: refuse, or pay the rest out.",
    )
    unit_cost_minor = models.PositiveBigIntegerField(default=0, help_text="Production cost.")
    validity_months = models.PositiveIntegerField(null=True, blank=True)
    stores_may_top_up = models.BooleanField(default=False)
    pin_required = models.BooleanField(default=False)

    # The number format (``cards.numbers.validate_number_format``): 6-19 digits, a prefix
    # (optional under 12 digits), a Luhn check digit unless the cards came pre-printed
    # without one.
    number_prefix = models.CharField(max_length=8, blank=True)
    number_length = models.PositiveSmallIntegerField(default=16)
    number_check_digit = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_rate_bp__lte=10_000), name="discount_at_most_100pct"
            ),
            models.UniqueConstraint(
                fields=["number_prefix"],
                condition=~Q(number_prefix=""),
                name="unique_number_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def one_time(self) -> bool:
        return not self.rechargeable

    def clean(self) -> None:
        from membercard.cards.policies import product_problems

        problems = product_problems(self)
        if problems:
            raise ValidationError(problems)


class BatchSource(models.TextChoices):
    GENERATED = "generated", _("Numbers generated here")
    IMPORTED = "imported", _("Numbers imported from the manufacturer")


class BatchStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    RECEIVED = "received", _("Received at HQ")
    CANCELLED = "cancelled", _("Cancelled")


class Batch(models.Model):
    """A production order at HQ: its cards exist as numbers until the batch is received."""

    product = models.ForeignKey(CardProduct, on_delete=models.PROTECT, related_name="batches")
    quantity = models.PositiveIntegerField()
    unit_cost_minor = models.PositiveBigIntegerField(default=0)
    supplier = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=BatchSource.choices)
    status = models.CharField(
        max_length=12, choices=BatchStatus.choices, default=BatchStatus.ORDERED
    )
    created_by = models.ForeignKey(
        "core.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        "core.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"{self.document_number} {self.product} x {self.quantity}"

    @property
    def document_number(self) -> str:
        return f"B{self.pk:06d}"


class Card(models.Model):
    number = models.CharField(max_length=19, unique=True)
    uid = models.CharField(
        max_length=8, unique=True, null=True, blank=True, help_text="RFID UID alias (8 hex)."
    )
    product = models.ForeignKey(CardProduct, on_delete=models.PROTECT, related_name="cards")
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="cards"
    )
    state = models.CharField(
        max_length=12, choices=CardState.choices, default=CardState.IN_STOCK, db_index=True
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cards",
        help_text="Where the card is while in stock or recovered.",
    )
    sold_at = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        "loyalty.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="cards"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    pin_hash = models.CharField(max_length=128, blank=True)
    # Wrong PINs in a row, and until when the PIN is locked after too many (see cards/pins.py).
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    # Tamper evidence: the head of this card's hash chain of operations.
    chain_head = models.CharField(max_length=64, default=GENESIS_HASH)
    chain_length = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=sorted(AT_A_LOCATION)) | Q(location__isnull=False),
                name="card_in_stock_has_location",
            ),
        ]
        indexes = [
            # Stock pages and the API's /stock list a location's sellable cards by number.
            models.Index(
                fields=["location", "number"],
                condition=Q(state="in_stock"),
                name="card_stock_by_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_number(self) -> str:
        return "•••• " + self.number[-4:]


# Card look-ups: the one throttle and the misses HQ watches (card-number guessing,
# OWASP OAT-002). Both tables are written by one atomic upsert per hit
# (``cards/lookups.py``), so counts stay exact under concurrency and across processes.


class LookupCounter(models.Model):
    """Look-ups on one bucket (``key:<terminal id>``, ``staff:<staff id>`` or
    ``addr:<client address>``) in one fixed window starting at ``window_start`` (Unix s)."""

    bucket = models.CharField(max_length=80)
    window_start = models.BigIntegerField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "cards_lookup_counter"
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="lookup_window"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"


class LookupMiss(models.Model):
    """How often one terminal key or one staff member asked for a card that does not exist
    (or is not theirs to see, or a mistyped number) on one day: someone who misses a lot is
    guessing numbers, or their reader is broken."""

    # ``terminal:<id>`` or ``staff:<id>`` (the actor's idempotency scope): one row per asker
    # and day, whichever kind the asker is.
    asker = models.CharField(max_length=40)
    terminal = models.ForeignKey(
        "core.Terminal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "core.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    misses = models.PositiveIntegerField(default=0)
    first_miss_at = models.DateTimeField()
    last_miss_at = models.DateTimeField()
    last_address = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "cards_lookup_miss"
        ordering = ["-day", "-misses"]
        constraints = [
            models.UniqueConstraint(fields=["asker", "day"], name="lookup_miss_per_asker_day"),
            models.CheckConstraint(
                condition=Q(terminal__isnull=True) | Q(staff__isnull=True),
                name="lookup_miss_one_asker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asker} {self.day}: {self.misses}"

    @property
    def who(self) -> str:
        if self.terminal_id is not None:
            return str(self.terminal)
        return str(self.staff) if self.staff_id is not None else self.asker
