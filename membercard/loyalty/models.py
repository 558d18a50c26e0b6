"""Members. Tiers, points lots and gifts build on this (see the loyalty issue)."""

from __future__ import annotations

from django.db import models

from membercard.core.models import Location


class Member(models.Model):
    name = models.CharField(max_length=120)
    mobile = models.CharField(max_length=20, unique=True, help_text="Normalised: digits only.")
    registered_at = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return "*" * max(len(self.mobile) - 4, 0) + self.mobile[-4:]
