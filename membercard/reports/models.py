"""Day rollups: per business day, location, card product and measure, one integer.

Reports read these instead of the raw ledger, so a report's cost follows the period it
covers, not the ledger's age. Rollups exist only for complete days (before today's
business day); ``rollups.ensure_rollups`` computes missing days from the raw rows and
``verify.verify_rollups`` recomputes stored days and flags any difference.

* ``DayFigure``: one measure of one (day, location, product). Money in minor units, cards
  in counts. Measures are listed in ``rollups.MEASURES``.
* ``RolledDay``: marks a business day as rolled up (even a day without activity).
* ``MonthCheckpoint``: cumulative figures of all days before ``month`` (the first day of a
  month), so an opening balance is a checkpoint plus at most a month of day rows.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RolledDay(models.Model):
    business_date = models.DateField(unique=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.business_date.isoformat()


class DayFigure(models.Model):
    business_date = models.DateField()
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("cards.CardProduct", on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=32)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "location", "product", "measure"],
                name="one_day_figure",
            ),
        ]
        indexes = [models.Index(fields=["business_date", "measure"], name="day_figure_date")]

    def __str__(self) -> str:
        return f"{self.business_date} {self.location_id}/{self.product_id} {self.measure}"


class CheckedMonth(models.Model):
    month = models.DateField(unique=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.month.isoformat()


class MonthCheckpoint(models.Model):
    month = models.DateField()
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("cards.CardProduct", on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=32)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "location", "product", "measure"], name="one_month_checkpoint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.location_id}/{self.product_id} {self.measure}"
