"""Approval requests (maker/checker) and the thresholds HQ sets for them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Location, Staff, Terminal
from membercard.ledger.models import Operation


class RequestKind(models.TextChoices):
    ADJUSTMENT = "adjustment", _("Adjustment")
    HQ_TOP_UP = "hq_top_up", _("HQ top-up")
    THRESHOLDS = "thresholds", _("Approval thresholds")
    REFUND = "refund", _("Refund")
    REOPEN_DAY = "reopen_day", _("Reopening a business day")
    CARD_VOID = "card_void", _("Card void")
    BATCH_ORDER = "batch_order", _("Batch order")
    PREPAID_LIMITS = "prepaid_limits", _("Prepaid limits")
    PRODUCT_POLICY = "product_policy", _("Card product money policy")
    REPLACEMENT = "replacement", _("Replacement over the prepaid limit")
    HANDOVER_LOSS = "handover_loss", _("Handover card lost")
    BATCH_CANCEL = "batch_cancel", _("Batch cancellation")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class ApprovalRequest(models.Model):
    """One risky action, filed by its maker, posted only once someone else approves it.

    ``payload`` holds the named arguments the operation will get (never a secret);
    ``preview`` what the approver is shown, computed by rehearsing the operation: the
    approval posts only if the posting still matches it."""

    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    # Who made it: a staff member, or a POS terminal (a refund a till asked for).
    maker = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="approval_requests"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="approval_requests"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="approval_requests"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    preview = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=64)
    decided_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="approval_decisions"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    operation = models.OneToOneField(
        Operation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval",
        help_text="The operation the approval posted.",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "expires_at"], name="approval_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["maker", "idempotency_key"], name="approval_request_key_per_maker"
            ),
            models.UniqueConstraint(
                fields=["terminal", "idempotency_key"], name="approval_request_key_per_terminal"
            ),
            models.CheckConstraint(
                condition=Q(maker__isnull=False, terminal__isnull=True)
                | Q(maker__isnull=True, terminal__isnull=False),
                name="approval_request_one_maker",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=F("maker")), name="approval_decided_by_not_maker"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "expired"]) | Q(decided_by__isnull=False),
                name="approval_decision_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_state_display()})"

    @property
    def made_by(self) -> str:
        """The maker as pages show it: the staff member, or the terminal."""
        return str(self.maker) if self.maker_id else f"terminal {self.terminal}"

    def is_due(self, now: dt.datetime | None = None) -> bool:
        """Pending past its expiry: treated as expired wherever it is read or decided."""
        return self.state == RequestState.PENDING and self.expires_at <= (now or timezone.now())

    @property
    def shown_state(self) -> str:
        return RequestState.EXPIRED.label if self.is_due() else self.get_state_display()


def waiting(
    requests: models.QuerySet[ApprovalRequest], now: dt.datetime | None = None
) -> models.QuerySet[ApprovalRequest]:
    """The ``requests`` that wait for a decision: pending and not past their expiry (one
    past it counts as expired, ``ApprovalRequest.is_due``)."""
    return requests.filter(state=RequestState.PENDING, expires_at__gt=now or timezone.now())


class ApprovalThresholds(models.Model):
    """The thresholds HQ set, one row per approved change: the latest row is current (none:
    the ``MEMBERCARD_APPROVAL_*`` settings). Amounts are "at or above needs approval"."""

    adjustment_minor = models.BigIntegerField(
        help_text="Value adjustments of this size or more need approval (0: all)."
    )
    points_adjustment = models.BigIntegerField(
        help_text="Points adjustments of this many points or more need approval (0: all)."
    )
    hq_top_up_minor = models.BigIntegerField(
        help_text="Top-ups at HQ of this amount or more need approval."
    )
    refund_minor = models.BigIntegerField(
        default=10_000,
        help_text="Refunds by a cashier or a terminal of this much or more (on one purchase, "
        "in all) need a manager's approval; so does any refund of an earlier business day.",
    )
    lifetime_hours = models.PositiveIntegerField(help_text="A request expires after this.")
    set_at = models.DateTimeField(default=timezone.now)
    request = models.OneToOneField(
        ApprovalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(adjustment_minor__gte=0)
                & Q(points_adjustment__gte=0)
                & Q(hq_top_up_minor__gte=0)
                & Q(refund_minor__gte=0)
                & Q(lifetime_hours__gte=1),
                name="approval_thresholds_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"thresholds {self.pk} ({self.set_at:%Y-%m-%d})"
