"""Reads for HQ about the API: which terminal keys miss card numbers, and how often."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from membercard.api.models import LookupMiss
from membercard.core.models import Location


def lookup_misses(
    *,
    since: dt.date | None = None,
    location: Location | None = None,
    at_least: int = 1,
) -> QuerySet[LookupMiss]:
    """Keys' misses per day (a mistyped number or no such card), most first; by default
    the last 7 days, every store."""
    since = since or timezone.localdate() - dt.timedelta(days=6)
    misses = LookupMiss.objects.filter(day__gte=since, misses__gte=at_least)
    if location is not None:
        misses = misses.filter(terminal__location=location)
    return misses.select_related("terminal__location").order_by("-day", "-misses", "pk")
