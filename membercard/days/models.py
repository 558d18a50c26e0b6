"""Business days per store: opened by the first operation, closed and sealed by the manager.

* A **BusinessDay** row exists for every store and business date with at least one
  operation (posting inserts it if missing), or that its manager closed. Closing keeps
  the system's totals, the counted takings per tender (**DayTakings**), the variance and
  its comment, and the **seal**: a SHA-256 over the day's operation digests in id order
  (``membercard.days.seals``), with their count and the last operation's id. A closed
  day accepts no new operation: later ones belong to the store's next day, which they open
  (``days.gate``). Each close and reopening is a row of the day's seal chain
  (**SealEvent**, ``days.seal_chain``).
* **Headquarters keeps no business day.** HQ's own operations (top-ups at HQ, adjustments,
  points expiry run by the scheduler) are not store takings: nothing is counted at a till
  there, and a scheduled job must never be refused because finance closed a day. Their
  tamper evidence is the cards' hash chains; HQ's side of the money is the deposit
  receipts recorded against each store-day (**DepositReceipt**).
* Posting and closing do not race: on PostgreSQL posting reads the day row ``FOR SHARE``
  (tills of one store do not block each other) and closing takes it ``FOR UPDATE``, so a
  close waits for operations in flight and later ones find the day closed. SQLite runs
  one writing transaction at a time (``IMMEDIATE``), which gives the same order.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location, Staff


class DayState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BusinessDay(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="business_days")
    business_date = models.DateField()
    state = models.CharField(
        max_length=8, choices=DayState.choices, default=DayState.OPEN, db_default=DayState.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    totals = models.JSONField(
        null=True, blank=True, help_text="The system's totals per tender and per kind at close."
    )
    expected_total_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Takings the ledger expects, all tenders."
    )
    declared_total_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Takings counted by the manager, all tenders."
    )
    variance_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Counted minus expected (negative: short)."
    )
    comment = models.TextField(blank=True, default="", db_default="")
    seal_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    seal_operation_count = models.PositiveIntegerField(null=True, blank=True)
    seal_last_operation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "ledger_businessday"  # the table kept its name when days left the ledger
        constraints = [
            models.UniqueConstraint(fields=["location", "business_date"], name="one_day_per_store"),
            models.CheckConstraint(
                condition=Q(state=DayState.OPEN)
                | (Q(closed_at__isnull=False) & Q(seal_operation_count__isnull=False)),
                name="closed_day_is_sealed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id}/{self.business_date}"

    @property
    def is_closed(self) -> bool:
        return self.state == DayState.CLOSED


class DayTakings(models.Model):
    """One tender of a closed day: what the ledger expects and what the manager counted.
    A negative count is money paid out of the till by that tender (a deposit handed back
    with more than was taken)."""

    day = models.ForeignKey(BusinessDay, on_delete=models.PROTECT, related_name="takings")
    tender = models.CharField(max_length=16)
    expected_minor = models.BigIntegerField()
    counted_minor = models.BigIntegerField()

    class Meta:
        db_table = "ledger_daytakings"
        constraints = [
            models.UniqueConstraint(fields=["day", "tender"], name="one_count_per_tender"),
        ]

    def __str__(self) -> str:
        return f"{self.day_id}/{self.tender}"

    @property
    def variance_minor(self) -> int:
        return self.counted_minor - self.expected_minor


class DepositReceipt(models.Model):
    """HQ finance records: received ``amount_minor`` from the store for its business day."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    amount_minor = models.BigIntegerField()
    reference = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=255)

    class Meta:
        db_table = "ledger_depositreceipt"
        indexes = [models.Index(fields=["location", "business_date"], name="deposit_store_day")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="deposit_positive"),
            models.UniqueConstraint(
                fields=["recorded_by", "idempotency_key"], name="deposit_key_per_staff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id}/{self.business_date} {self.amount_minor}"


class DayReopening(models.Model):
    """A closed day reopened under four eyes (``days.closing.reopen_day``): the close it
    undid, kept as it was (figures, counted takings, seal), with who asked, who approved and
    why. The day closes and seals again later; ``membercard verify`` checks this old seal
    too, over the operations it sealed (those up to its last operation id)."""

    day = models.ForeignKey(BusinessDay, on_delete=models.PROTECT, related_name="reopenings")
    reopened_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    approval_request_id = models.BigIntegerField(
        null=True, blank=True, help_text="The approval request that reopened it."
    )
    # The close it undid.
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    totals = models.JSONField(null=True, blank=True)
    takings = models.JSONField(
        default=dict, help_text="Per tender: {expected_minor, counted_minor} as counted then."
    )
    expected_total_minor = models.BigIntegerField(null=True, blank=True)
    declared_total_minor = models.BigIntegerField(null=True, blank=True)
    variance_minor = models.BigIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    seal_digest = models.CharField(max_length=64)
    seal_operation_count = models.PositiveIntegerField()
    seal_last_operation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.day_id} reopened {self.reopened_at:%Y-%m-%d %H:%M}"


class SealEventKind(models.TextChoices):
    SEALED = "sealed", _("Closed and sealed")
    REOPENED = "reopened", _("Reopened")


class SealEvent(models.Model):
    """The seal chain of a store-day: every close (with the seal it made) and every
    reopening (with why, who asked and who approved, and the seal it undid), in order,
    each row carrying the hash of the one before it (``days.seal_chain``). Append-only
    (database triggers); ``membercard verify`` walks every chain and checks that its last
    row agrees with the day as it stands."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    kind = models.CharField(max_length=8, choices=SealEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    requested_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    approval_request_id = models.BigIntegerField(null=True, blank=True)
    seal_digest = models.CharField(max_length=64)
    seal_operation_count = models.PositiveIntegerField()
    seal_last_operation_id = models.BigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["location", "business_date"], name="seal_event_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "business_date", "previous_hash"],
                name="seal_chain_does_not_fork",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id}/{self.business_date} {self.kind}"
