"""Members (the people who hold cards) and the audit of who read member data in bulk."""

from __future__ import annotations

from django.db import models

from membercard.core.models import Location, Staff, Terminal


class Member(models.Model):
    name = models.CharField(max_length=120)
    mobile = models.CharField(max_length=20, unique=True, help_text="Normalised: digits only.")
    birthday = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # Consent flags: what the member agreed to be contacted by (marketing only; service
    # messages about the card itself need no consent).
    marketing_sms = models.BooleanField(default=False)
    marketing_email = models.BooleanField(default=False)
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The store (or HQ) where the member registered.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return "*" * max(len(self.mobile) - 4, 0) + self.mobile[-4:]


class MemberAccessLog(models.Model):
    """Who read or changed member data: bulk reads (searches listing several members,
    exports, reports naming members) and every member write. Append-only by convention:
    no service updates or deletes a row."""

    action = models.CharField(max_length=40, help_text="member.search, member.export, ...")
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    terminal = models.ForeignKey(
        Terminal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=16)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=64, blank=True, help_text="Client address, if known.")
    count = models.PositiveIntegerField(default=0, help_text="How many members it covered.")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="access_log"
    )
    data = models.JSONField(default=dict, blank=True, help_text="Criteria or fields changed.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.action} x{self.count} by {self.staff_id or self.terminal_id or 'system'}"
