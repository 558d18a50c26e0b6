"""One throttle for every card look-up, whichever face asks (POS API, counter pages).

A card number with no PIN is cash, and numbers can only be guessed by asking (OWASP
OAT-002, card cracking). So every path that turns a number someone typed, swiped or sent
into a card goes through here: at most ``MEMBERCARD_API_THROTTLE_PER_KEY`` look-ups a
window per terminal key, ``MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF`` per staff member and
``MEMBERCARD_API_THROTTLE_PER_ADDRESS`` per client address (tills and counter browsers
share it), in fixed windows of ``MEMBERCARD_LOOKUP_THROTTLE_WINDOW_SECONDS``.

The counters live in the database and every hit is **one atomic statement**, an upsert
that returns the new counts, so the limit holds exactly under concurrency and across
server processes (SQLite >= 3.35 and PostgreSQL both speak it). Both buckets of a request
go in the same statement, in sorted order, so two requests never wait on each other's
rows in a cycle. A miss (a mistyped number, no such card, or a card the asker may not
see) is counted per asker and day with the last address; HQ is alerted once an asker
passes ``MEMBERCARD_LOOKUP_MISS_ALERT`` misses in a day (``misses_to_alert``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.models import Card, LookupCounter, LookupMiss
from membercard.cards.reader import parse_reader_input
from membercard.cards.selectors import Presented, find_card, visible_card
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound, InvalidCardNumber, Throttled
from membercard.core.models import Location

# What counts as a miss: the number names no card the asker may see, or cannot be ours.
# (A bank card swiped by mistake or an unreadable swipe is not guessing.)
MISSES = (CardNotFound, InvalidCardNumber)

# Old windows are deleted when a new one starts (once a window per client address).
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class Window:
    start: int
    retry_after: int


def _now() -> float:
    return time.time()


def current_window() -> Window:
    size = settings.MEMBERCARD_LOOKUP_THROTTLE_WINDOW_SECONDS
    now = _now()
    start = int(now // size * size)
    return Window(start=start, retry_after=max(1, math.ceil(start + size - now)))


def _asker_bucket(actor: Actor) -> tuple[str, int, str]:
    """The actor's own bucket, its limit, and its name in a refusal."""
    if actor.terminal is not None:
        return f"key:{actor.terminal.pk}", settings.MEMBERCARD_API_THROTTLE_PER_KEY, "key"
    staff_id = actor.staff.pk if actor.staff is not None else 0
    return f"staff:{staff_id}", settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF, "staff"


def _upsert(buckets: list[str], window_start: int) -> dict[str, int]:
    """Add one hit to each bucket in this window; the new counts, by bucket."""
    table = connection.ops.quote_name(LookupCounter._meta.db_table)
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


def hit(actor: Actor, address: str) -> None:
    """Count one look-up by ``actor`` from ``address``; raise :class:`Throttled` once the
    asker's bucket or the address's is past its limit in this window."""
    window = current_window()
    address_bucket = f"addr:{address or 'unknown'}"
    own, own_limit, own_name = _asker_bucket(actor)
    limits = {address_bucket: settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS, own: own_limit}
    counts = _upsert(sorted(limits), window.start)
    if counts[address_bucket] == 1:  # a new window for this address: clear out old ones
        LookupCounter.objects.filter(window_start__lt=window.start - KEEP_SECONDS).delete()
    over = [bucket for bucket, limit in limits.items() if counts[bucket] > limit]
    if over:
        name = own_name if own in over else "address"
        raise Throttled(
            _("Too many card look-ups; try again in %(seconds)d s.")
            % {"seconds": window.retry_after},
            retry_after=window.retry_after,
            bucket=name,
        )


def record_miss(actor: Actor, address: str) -> None:
    """One more miss for this asker today, with the address it came from (one atomic
    upsert, so concurrent misses are all counted)."""
    table = connection.ops.quote_name(LookupMiss._meta.db_table)
    now = timezone.now()
    ops = connection.ops
    sql = (
        f"INSERT INTO {table} (asker, terminal_id, staff_id, location_id, day, misses, "
        "first_miss_at, last_miss_at, last_address) "
        "VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s) "
        f"ON CONFLICT (asker, day) DO UPDATE SET misses = {table}.misses + 1, "
        "last_miss_at = excluded.last_miss_at, last_address = excluded.last_address"
    )
    stamp = ops.adapt_datetimefield_value(now)
    params = [
        actor.idempotency_scope,
        actor.terminal.pk if actor.terminal is not None else None,
        actor.staff.pk if actor.terminal is None and actor.staff is not None else None,
        actor.location.pk,
        ops.adapt_datefield_value(timezone.localdate(now)),
        stamp,
        stamp,
        address[:64],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Look-ups the faces call -------------------------------------------------------------


def look_up_card(actor: Actor, raw: str, *, address: str) -> Presented:
    """The card what a reader typed (or a cashier keyed) names, if ``actor`` may see it:
    throttled, and a miss is counted for HQ. Another store's shelf answers like no card."""
    hit(actor, address)
    try:
        reference = parse_reader_input(raw)
        card = visible_card(actor, find_card(reference))
    except MISSES:
        record_miss(actor, address)
        raise
    return Presented(card, reference.read_as)


def card_for_operation(actor: Actor, number: str, *, address: str) -> Presented:
    """The card a form posts back by number (the panel's hidden field) for an operation on
    it. Not throttled while it hits (a till at work, as in the API); a miss is counted, and
    past the limit it answers 429 like a look-up would."""
    card = None
    if number.isascii() and number.isdigit():
        card = Card.objects.select_related("product", "member").filter(number=number).first()
    try:
        if card is None:
            raise CardNotFound()
        return Presented(visible_card(actor, card))
    except MISSES:
        record_miss(actor, address)
        hit(actor, address)
        raise


# What HQ reads ---------------------------------------------------------------------


def lookup_misses(
    *,
    since: dt.date | None = None,
    location: Location | None = None,
    at_least: int = 1,
) -> QuerySet[LookupMiss]:
    """Askers' misses per day (a mistyped number, no such card, another store's card), most
    first; by default the last 7 days, every location."""
    since = since or timezone.localdate() - dt.timedelta(days=6)
    misses = LookupMiss.objects.filter(day__gte=since, misses__gte=at_least)
    if location is not None:
        misses = misses.filter(location=location)
    return misses.select_related("terminal", "staff", "location").order_by("-day", "-misses", "pk")


def misses_to_alert() -> QuerySet[LookupMiss]:
    """Keys and staff members past the daily miss threshold today or yesterday (so a night's
    guessing is still on HQ's screen the next morning)."""
    since = timezone.localdate() - dt.timedelta(days=1)
    return lookup_misses(since=since, at_least=settings.MEMBERCARD_LOOKUP_MISS_ALERT)
