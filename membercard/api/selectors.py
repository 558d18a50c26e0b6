"""Reads for HQ about the API: which terminal keys miss card numbers, and how often.

The misses are the one look-up throttle's (``cards/lookups.py``), kept for keys and staff
members alike; here only the keys'."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from membercard.cards import lookups
from membercard.cards.models import LookupMiss
from membercard.core.models import Location


def lookup_misses(
    *,
    since: dt.date | None = None,
    location: Location | None = None,
    at_least: int = 1,
) -> QuerySet[LookupMiss]:
    """Keys' misses per day (a mistyped number or no such card), most first; by default
    the last 7 days, every store."""
    misses = lookups.lookup_misses(since=since, location=location, at_least=at_least)
    return misses.filter(terminal__isnull=False)
