"""Throttle counters and the look-up misses HQ watches (card-number guessing, OWASP OAT-002).

Both tables are written by one atomic upsert per hit (see ``throttle.py``), so counts stay
exact under concurrency and across server processes.
"""

from __future__ import annotations

from django.db import models

from membercard.core.models import Terminal


class ThrottleCounter(models.Model):
    """Hits on one bucket (``key:<terminal id>`` or ``addr:<client address>``) in one
    fixed window starting at ``window_start`` (Unix seconds)."""

    bucket = models.CharField(max_length=80)
    window_start = models.BigIntegerField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "api_throttle"
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="throttle_window"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"


class LookupMiss(models.Model):
    """How often a terminal key asked for a card that does not exist (or a mistyped
    number) on one day: a till that misses a lot is guessing numbers, or broken."""

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    misses = models.PositiveIntegerField(default=0)
    first_miss_at = models.DateTimeField()
    last_miss_at = models.DateTimeField()
    last_address = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "api_lookup_miss"
        ordering = ["-day", "-misses"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "day"], name="lookup_miss_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.terminal_id} {self.day}: {self.misses}"
