"""Card stock: the append-only movement ledger, handover documents and stocktakes.

Every change of a card's state or location is a **StockMovement** (written by
``membercard.inventory.lifecycle``): replayed from the start, the movements give
exactly every card's current state and location (``membercard verify`` checks).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from membercard.cards.models import Batch, Card
from membercard.cards.states import CardState
from membercard.core.models import Location, Staff, Terminal
from membercard.core.redaction import MASK
from membercard.ledger.models import Operation

# What each ``StockMovement.event`` code means, for people. The code stays in the data (and
# in the API); a code not listed here is shown as it is.
EVENT_LABELS = {
    "batch.produced": pgettext_lazy("stock movement", "Numbers made for a batch"),
    "batch.received": pgettext_lazy("stock movement", "Batch received"),
    "batch.cancelled": pgettext_lazy("stock movement", "Batch cancelled"),
    "card.voided": pgettext_lazy("stock movement", "Voided"),
    "card.sold": pgettext_lazy("stock movement", "Sold"),
    "card.sale_reversed": pgettext_lazy("stock movement", "Sale reversed"),
    "card.frozen": pgettext_lazy("stock movement", "Frozen"),
    "card.unfrozen": pgettext_lazy("stock movement", "Unfrozen"),
    "card.replaced": pgettext_lazy("stock movement", "Replaced"),
    "card.issued_as_replacement": pgettext_lazy("stock movement", "Issued as a replacement"),
    "card.recovered": pgettext_lazy("stock movement", "Taken back"),
    "card.restocked": pgettext_lazy("stock movement", "Back in stock"),
    "handover.dispatched": pgettext_lazy("stock movement", "Handover dispatched"),
    "handover.received": pgettext_lazy("stock movement", "Handover received"),
    "handover.found": pgettext_lazy("stock movement", "Handover: missing card found"),
    "handover.lost": pgettext_lazy("stock movement", "Handover: missing card lost"),
    "handover.returned": pgettext_lazy("stock movement", "Handover: card returned to sender"),
    "handover.moved_out": pgettext_lazy(
        "stock movement", "Handover: unexpected card taken off its booked place"
    ),
    "handover.moved": pgettext_lazy(
        "stock movement", "Handover: unexpected card moved into the receiver's stock"
    ),
}


def event_label(event: str) -> str:
    """The label of a stock movement's event code, in the active language (else the code)."""
    label = EVENT_LABELS.get(event)
    return str(label) if label is not None else event


class StockMovement(models.Model):
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="movements")
    event = models.CharField(max_length=40, help_text="What happened, e.g. handover.dispatched.")
    from_state = models.CharField(max_length=12, choices=CardState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=CardState.choices)
    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The document behind the movement (at most one).
    operation = models.ForeignKey(
        Operation, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    handover = models.ForeignKey(
        "Handover", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["card", "id"], name="movement_card_history")]

    def __str__(self) -> str:
        return f"{self.card_id} {self.event} {self.from_state}->{self.to_state}"

    @property
    def event_label(self) -> str:
        return event_label(self.event)


class HandoverState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    RECEIVED = "received", _("Received")
    DISCREPANCY = "discrepancy", _("Received with discrepancies")
    CLOSED = "closed", _("Discrepancies resolved")
    CANCELLED = "cancelled", _("Cancelled")


class Handover(models.Model):
    """A document moving cards between locations, signed by both parties."""

    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=12, choices=HandoverState.choices, default=HandoverState.DRAFT
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_location=models.F("to_location")), name="handover_two_places"
            ),
        ]

    def __str__(self) -> str:
        return self.document_number

    @property
    def document_number(self) -> str:
        return f"HO{self.pk:06d}"


class LineStatus(models.TextChoices):
    LISTED = "listed", _("Listed")
    RECEIVED = "received", _("Received")
    MISSING = "missing", _("Missing at receipt")
    UNEXPECTED = "unexpected", _("Scanned at receipt but not listed")
    FOUND = "found", _("Found later (received)")
    LOST = "lost", _("Lost (voided)")
    RETURNED = "returned", _("Returned to the sender")
    MOVED = "moved", _("Unexpected, moved into the receiver's stock")


# Lines of cards that were not on the list the sender dispatched.
NOT_LISTED = (LineStatus.UNEXPECTED, LineStatus.MOVED)


class EntryKind(models.TextChoices):
    NUMBER = "number", _("Card number")
    UID = "uid", _("RFID UID")


class HandoverLine(models.Model):
    """One card on a handover, or one **unexpected entry**: what a receiving store scanned
    that names no card it may see (a misread, or a card booked elsewhere). The receipt never
    looks further (no oracle); HQ checks the entry and may attach the card when it moves it
    into the receiver's stock. The entry is kept after that: it is what the store typed."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="lines")
    card = models.ForeignKey(
        Card, on_delete=models.PROTECT, null=True, blank=True, related_name="handover_lines"
    )
    entry_number = models.CharField(max_length=19, blank=True)
    entry_kind = models.CharField(max_length=6, choices=EntryKind.choices, blank=True)
    status = models.CharField(max_length=12, choices=LineStatus.choices, default=LineStatus.LISTED)
    resolved_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handover", "card"], name="card_once_per_handover"),
            models.UniqueConstraint(
                fields=["handover", "entry_kind", "entry_number"],
                condition=~Q(entry_number=""),
                name="entry_once_per_handover",
            ),
            # A line names a card, or holds an unexpected entry (a card attached to it once
            # HQ moves it, the entry kept); an entry alone is unexpected, nothing else.
            models.CheckConstraint(
                condition=(Q(entry_number="") & Q(entry_kind=""))
                | (~Q(entry_number="") & Q(entry_kind__in=EntryKind.values)),
                name="entry_number_and_kind_together",
            ),
            models.CheckConstraint(
                condition=Q(card__isnull=False)
                | (~Q(entry_number="") & Q(status=LineStatus.UNEXPECTED)),
                name="line_card_or_unexpected_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handover_id}:{self.card_id or self.entry_kind} {self.status}"

    @property
    def is_entry(self) -> bool:
        """Whether the line began as an unexpected entry (no card resolved at receipt)."""
        return bool(self.entry_number)

    def entry_shown(self, *, full: bool, mask: str = MASK) -> str:
        """The entry as typed (``full``: for HQ) or masked to its last four (for the store
        that typed it: nothing more than it knows, never whether it matched a card).
        ``mask``: a PDF whose font has no bullet prints asterisks."""
        value = self.entry_number if full else f"{mask} {self.entry_number[-4:]}"
        return f"UID {value}" if self.entry_kind == EntryKind.UID else value

    def number_shown(self, *, full: bool, mask: str = MASK) -> str:
        """What a page or sheet prints for the line: the card's number, or the entry (until
        HQ moves it: then the card is the receiver's and its number is shown)."""
        if not self.is_entry or (self.card_id is not None and self.status == LineStatus.MOVED):
            return self.card.number
        return self.entry_shown(full=full, mask=mask)


class StocktakeState(models.TextChoices):
    OPEN = "open", _("Counting")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Stocktake(models.Model):
    """A location counts (scans) its physical cards; differences are shown and recorded."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stocktakes")
    state = models.CharField(
        max_length=12, choices=StocktakeState.choices, default=StocktakeState.OPEN
    )
    note = models.TextField(blank=True)
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Figures kept at confirmation.
    expected_count = models.PositiveIntegerField(null=True, blank=True)
    counted_count = models.PositiveIntegerField(null=True, blank=True)

    cancelled_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # One count at a time per location (the service refuses too; this is the last word).
            models.UniqueConstraint(
                fields=["location"],
                condition=Q(state="open"),
                name="one_open_stocktake_per_location",
            ),
        ]

    def __str__(self) -> str:
        return f"ST{self.pk:06d} {self.location.code}"


class StocktakeCount(models.Model):
    """One card scanned during a stocktake."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.PROTECT, related_name="counts")
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="+")
    counted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "card"], name="card_counted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stocktake_id}:{self.card_id}"


class DifferenceKind(models.TextChoices):
    MISSING = "missing", _("Expected here but not counted")
    UNEXPECTED = "unexpected", _("Counted here but not expected")


class StocktakeDifference(models.Model):
    """A difference recorded when the count was confirmed."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.PROTECT, related_name="differences")
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=DifferenceKind.choices)
    card_state = models.CharField(max_length=12, choices=CardState.choices)
    card_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.stocktake_id}:{self.card_id} {self.kind}"


class BatchStep(models.TextChoices):
    """HQ's own steps on a received batch, in order, after the receipt itself."""

    CHECKED = "checked", _("Checked")
    MADE_READY = "made_ready", _("Made ready")


class BatchSignoff(models.Model):
    """One step of HQ's work on a received batch, signed (who, when) by someone other than
    whoever signed the step before it (the receipt: ``Batch.received_by``). Optional: a
    batch's cards may be handed over without them. Written once, never changed."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="signoffs")
    step = models.CharField(max_length=12, choices=BatchStep.choices)
    signed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "step"], name="batch_step_signed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.step}"
