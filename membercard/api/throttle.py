"""Throttling card reads per terminal key and per client address, and counting misses.

Card numbers are guessable only by asking (OWASP OAT-002, card cracking), so look-ups and
card reads are limited: at most ``MEMBERCARD_API_THROTTLE_PER_KEY`` a window per key and
``MEMBERCARD_API_THROTTLE_PER_ADDRESS`` per client address, in fixed windows of
``MEMBERCARD_API_THROTTLE_WINDOW_SECONDS``.

The counters live in the database and every hit is **one atomic statement**, an upsert
that returns the new count, so the limit holds exactly under concurrency and across
server processes (SQLite >= 3.35 and PostgreSQL both speak it). Both buckets of a request
go in the same statement, always in the same (sorted) order, so two requests never wait
on each other's rows in a cycle. Misses (a number that is mistyped or names no card) are
counted per key and day in ``api_lookup_miss``, for HQ (admin list, ``selectors``).

The client address is ``REMOTE_ADDR`` (the server faces the tills directly), or behind a
trusted reverse proxy the address it forwards (``core/http.client_address``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from membercard.api.models import LookupMiss, ThrottleCounter
from membercard.core.actors import Actor
from membercard.core.http import client_address

# Old windows are deleted when a new one starts (once a window per client address).
KEEP_SECONDS = 3600


class Throttled(Exception):
    """Too many card reads in this window; ``retry_after`` whole seconds until the next."""

    def __init__(self, retry_after: int, bucket: str) -> None:
        self.retry_after = retry_after
        self.bucket = bucket
        super().__init__(f"throttled: {bucket}")


@dataclass(frozen=True)
class Window:
    start: int
    retry_after: int


def _now() -> float:
    return time.time()


def current_window() -> Window:
    size = settings.MEMBERCARD_API_THROTTLE_WINDOW_SECONDS
    now = _now()
    start = int(now // size * size)
    return Window(start=start, retry_after=max(1, math.ceil(start + size - now)))


def _address(request: HttpRequest) -> str:
    return client_address(request) or "unknown"


def _upsert(buckets: list[str], window_start: int) -> dict[str, int]:
    """Add one hit to each bucket in this window; the new counts, by bucket."""
    table = connection.ops.quote_name(ThrottleCounter._meta.db_table)
    rows = ", ".join(["(%s, %s, 1)"] * len(buckets))
    sql = (
        f"INSERT INTO {table} (bucket, window_start, hits) VALUES {rows} "
        f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
        "RETURNING bucket, hits"
    )
    params: list[object] = []
    for bucket in buckets:
        params += [bucket, window_start]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def hit(actor: Actor, request: HttpRequest) -> None:
    """Count this card read; raise :class:`Throttled` once a bucket is past its limit."""
    window = current_window()
    address = f"addr:{_address(request)}"
    limits = {
        address: settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS,
        f"key:{actor.terminal.pk}": settings.MEMBERCARD_API_THROTTLE_PER_KEY,
    }
    counts = _upsert(sorted(limits), window.start)
    if counts[address] == 1:  # a new window for this address: clear out old ones
        ThrottleCounter.objects.filter(window_start__lt=window.start - KEEP_SECONDS).delete()
    over = [bucket for bucket, limit in limits.items() if counts[bucket] > limit]
    if over:
        raise Throttled(window.retry_after, over[0].split(":", 1)[0])


def record_miss(actor: Actor, request: HttpRequest) -> None:
    """One more miss for this key today (one atomic upsert)."""
    table = connection.ops.quote_name(LookupMiss._meta.db_table)
    now = timezone.now()
    ops = connection.ops
    sql = (
        f"INSERT INTO {table} "
        "(terminal_id, day, misses, first_miss_at, last_miss_at, last_address) "
        "VALUES (%s, %s, 1, %s, %s, %s) "
        f"ON CONFLICT (terminal_id, day) DO UPDATE SET misses = {table}.misses + 1, "
        "last_miss_at = excluded.last_miss_at, last_address = excluded.last_address"
    )
    stamp = ops.adapt_datetimefield_value(now)
    params = [
        actor.terminal.pk,
        ops.adapt_datefield_value(timezone.localdate(now)),
        stamp,
        stamp,
        _address(request),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
