"""Which backups to keep: the newest N daily, weekly (one per ISO week) and monthly ones.

Pure: give it the manifests, the counts and the time zone the days are counted in; it
answers which to keep and which to delete. In each day, week or month the newest backup
whose verify did not fail stands for it (a failed one only if there is nothing better).
The newest backup of all is always kept, so a failed verify stays visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from zoneinfo import ZoneInfo

from membercard.ops.backups.config import Keep
from membercard.ops.backups.manifest import Manifest

BUCKETS: list[tuple[str, Callable[[dt.date], Hashable]]] = [
    ("daily", lambda day: day),
    ("weekly", lambda day: tuple(day.isocalendar())[:2]),
    ("monthly", lambda day: (day.year, day.month)),
]


def choose(
    manifests: Sequence[Manifest], keep: Keep, tz: ZoneInfo
) -> tuple[list[Manifest], list[Manifest]]:
    """(kept, deleted), both newest first."""
    ordered = sorted(manifests, key=lambda m: (m.created, m.file), reverse=True)
    kept_files: set[str] = {ordered[0].file} if ordered else set()
    for name, bucket_of in BUCKETS:
        limit = getattr(keep, name)
        representatives: dict[Hashable, Manifest] = {}
        for manifest in ordered:
            bucket = bucket_of(manifest.created.astimezone(tz).date())
            best = representatives.get(bucket)
            if best is None or (best.verify_failed and not manifest.verify_failed):
                representatives[bucket] = manifest
        # dicts keep insertion order: buckets newest first, since ``ordered`` is.
        for manifest in list(representatives.values())[:limit]:
            kept_files.add(manifest.file)
    kept = [m for m in ordered if m.file in kept_files]
    deleted = [m for m in ordered if m.file not in kept_files]
    return kept, deleted
