"""The gift catalog and gift stock.

A **Gift** is something a member takes home for points. Its stock is counted per location:
each change is a **GiftStockMovement** (append-only; the database refuses UPDATE and
DELETE), and a **GiftStock** row per (gift, location) keeps the running quantity, changed
only with the row locked and never below zero. Replayed, the movements give every
quantity (``membercard verify`` checks).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location, Staff, Terminal

PICTURE_MAX_BYTES = 2 * 1024 * 1024
PICTURE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
MAX_POINTS_PRICE = 10_000_000
# What an image file starts with, by type: the extension alone proves nothing.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def picture_type(head: bytes) -> str | None:
    """The image type a file's first bytes show (PNG, JPEG, GIF, WebP), or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def validate_picture(value) -> None:
    """A new upload is at most 2 MiB and really is a PNG, JPEG, GIF or WebP image."""
    if getattr(value, "_committed", True):
        return  # already stored: checked when it was uploaded
    if value.size > PICTURE_MAX_BYTES:
        raise ValidationError(_("The picture is larger than 2 MiB."), code="picture_too_large")
    value.seek(0)
    head = value.read(16)
    value.seek(0)
    if picture_type(head) is None:
        raise ValidationError(
            _("The picture is not a PNG, JPEG, GIF or WebP image."), code="picture"
        )


class Gift(models.Model):
    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Letters, digits, - and _ only.")
        ],
        help_text="Short code the till types or scans, e.g. MUG-01 (kept upper-case).",
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    picture = models.FileField(
        upload_to="gifts/",
        blank=True,
        validators=[FileExtensionValidator(PICTURE_EXTENSIONS), validate_picture],
        help_text="PNG, JPEG, GIF or WebP, at most 2 MiB.",
    )
    points_price = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Points for one piece."
    )
    active_from = models.DateField(null=True, blank=True, help_text="First day; empty: from now.")
    active_until = models.DateField(null=True, blank=True, help_text="Last day; empty: no end.")
    is_active = models.BooleanField(default=True, help_text="Off: withdrawn, whatever the dates.")
    created_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_price__gt=0) & Q(points_price__lte=MAX_POINTS_PRICE),
                name="gift_points_price_range",
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="gift_active_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        self.code = (self.code or "").strip().upper()
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": _("A gift has a name.")})
        if self.points_price is not None and self.points_price > MAX_POINTS_PRICE:
            raise ValidationError(
                {"points_price": _("At most %(most)s points.") % {"most": f"{MAX_POINTS_PRICE:,}"}}
            )
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValidationError({"active_until": _("The last day is on or after the first.")})

    def available_on(self, day: dt.date) -> bool:
        """Offered for redemption on ``day``: switched on and within its dates."""
        return (
            self.is_active
            and (self.active_from is None or self.active_from <= day)
            and (self.active_until is None or day <= self.active_until)
        )


class GiftStock(models.Model):
    """How many pieces of a gift a location holds: the sum of its movements there."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="stock")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="gift_stock")
    quantity = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "gift stock"
        constraints = [
            models.UniqueConstraint(fields=["gift", "location"], name="gift_stock_per_location"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="gift_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.gift_id}@{self.location_id}: {self.quantity}"


class GiftMovementKind(models.TextChoices):
    RECEIVED = "received", _("Received at HQ")
    TRANSFER_OUT = "transfer_out", _("Sent to another location")
    TRANSFER_IN = "transfer_in", _("Received from another location")
    ADJUSTMENT = "adjustment", _("Adjusted (counted, damaged, lost...)")
    REDEEMED = "redeemed", _("Redeemed for points")
    REDEMPTION_REVERSED = "redemption_reversed", _("Redemption reversed")


class GiftStockMovement(models.Model):
    """One change of a gift's stock at one location (signed pieces). Never updated."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=GiftMovementKind.choices)
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    other_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where a transfer came from or went to.",
    )
    operation = models.ForeignKey(
        "ledger.Operation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gift_movements",
        help_text="The redemption (or its reversal) behind the movement.",
    )
    reason = models.TextField(blank=True)
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["gift", "location", "id"], name="gift_movement_history"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="gift_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="gift_movement_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gift_id}@{self.location_id} {self.kind} {self.delta:+d}"
