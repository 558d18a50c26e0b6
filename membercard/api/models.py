"""The API keeps no throttle tables of its own any more: card look-ups are throttled by one
throttle for every face (``membercard/cards/lookups.py``), whose counters and misses live in
the ``cards`` app. The names stay importable from here for the API's callers."""

from __future__ import annotations

from membercard.cards.models import LookupCounter, LookupMiss

__all__ = ["LookupCounter", "LookupMiss"]
