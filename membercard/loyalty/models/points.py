"""Points lots: every earning is a lot with its own expiry; spending draws lots FIFO by
expiry. The lots of a card always add up to its ``card_points`` ledger balance
(``membercard verify`` checks it)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PointsLot(models.Model):
    """Points that arrived on a card together and expire together.

    ``remaining`` is a running figure (like a card account's balance), changed only with
    the card locked, and always the sum of the lot's entries. A lot never changes card:
    a replacement closes it and opens a continuation (``origin``) on the new card.
    """

    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="points_lots")
    operation = models.ForeignKey(
        "ledger.Operation",
        on_delete=models.PROTECT,
        related_name="points_lots",
        help_text="The operation that created the lot.",
    )
    points = models.PositiveBigIntegerField()
    remaining = models.PositiveBigIntegerField()
    earned_on = models.DateField()
    expires_on = models.DateField(
        null=True, blank=True, help_text="Last day the points can be used; empty: never."
    )
    origin = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuation",
        help_text="The lot on the replaced card this lot continues.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["card", "expires_on"], name="points_lot_card_expiry"),
            models.Index(fields=["expires_on"], name="points_lot_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="points_lot_positive"),
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("points")),
                name="points_lot_remaining_le_points",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.points} (expires {self.expires_on})"


class LotEvent(models.TextChoices):
    EARN = "earn", _("Earned")
    ADJUST = "adjust", _("Adjusted by HQ")
    REDEEM = "redeem", _("Redeemed")
    TAKE_BACK = "take_back", _("Taken back (refund or reversal)")
    RESTORE = "restore", _("Given back")
    EXPIRE = "expire", _("Expired")
    LAPSE = "lapse", _("Lapsed (card handed back)")
    MOVE_OUT = "move_out", _("Moved to a replacement card")
    MOVE_IN = "move_in", _("Moved from a replaced card")


class PointsLotEntry(models.Model):
    """One change of a lot by one ledger operation (signed points). Never updated."""

    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="entries")
    operation = models.ForeignKey(
        "ledger.Operation", on_delete=models.PROTECT, related_name="points_lot_entries"
    )
    event = models.CharField(max_length=12, choices=LotEvent.choices)
    points = models.BigIntegerField()

    class Meta:
        verbose_name_plural = "points lot entries"
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_lot_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} {self.event} {self.points:+d}"
