"""Entering a store's business day: an operation opens the day; after a close the store
keeps trading into the next day.

Called by ``membercard.operations.posting`` before an operation is written. The operation
belongs to the store's *current* day: the calendar's business date (``core.calendar``,
cut-off hour) if that day is not closed, else the first day after it that is not closed,
which the operation opens if it has no row yet. So a store that closed its day at 23:30
and sells on at 00:30 posts into tomorrow's day, and a closed day never receives a new
operation (its seal, Z report and reconciliation stay exact). A day HQ reopened is open:
while it is the calendar's day, operations go to it again.

On PostgreSQL the day rows are read ``FOR SHARE`` and held to the end of the transaction,
so a close (which takes its day ``FOR UPDATE``) waits for the operations in flight, and
those that read after it see the day closed and move on to the next one.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from membercard.core.calendar import today
from membercard.core.models import Location
from membercard.days.models import BusinessDay, DayState

_TABLE = BusinessDay._meta.db_table
ONE_DAY = dt.timedelta(days=1)


def _days_from(location_id: int, business_date: dt.date) -> list[tuple[dt.date, str]]:
    """The store's days on or after ``business_date`` with their states, oldest first
    (usually one: today's; two once today is closed and the store trades on)."""
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT business_date, state FROM {_TABLE} WHERE location_id = %s"
            f" AND business_date >= %s ORDER BY business_date{lock}",
            [location_id, connection.ops.adapt_datefield_value(business_date)],
        )
        rows = cursor.fetchall()
    return [(_as_date(day), state) for day, state in rows]


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _first_open(days: list[tuple[dt.date, str]], business_date: dt.date) -> tuple[dt.date, bool]:
    """From ``business_date`` on, the first day that is not closed, and whether it exists
    (closed days are skipped; a missing day is where the store trades next)."""
    on = business_date
    for day, state in days:
        if day != on:
            break
        if state == DayState.OPEN:
            return on, True
        on += ONE_DAY
    return on, False


def insert_if_missing(location_id: int, business_date: dt.date) -> str | None:
    """Insert the open day row unless it exists; its state if this call inserted it, else
    None. A concurrent uncommitted insert of the same day makes this wait for its end."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (location_id, business_date, state, opened_at, comment,"
            " seal_digest) VALUES (%s, %s, %s, %s, '', '')"
            " ON CONFLICT (location_id, business_date) DO NOTHING RETURNING state",
            [
                location_id,
                connection.ops.adapt_datefield_value(business_date),
                DayState.OPEN.value,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def enter_day(location: Location, business_date: dt.date) -> dt.date:
    """Called by ``operations.posting.post`` before an operation is written at ``location``
    at calendar business date ``business_date``; answers the business date the operation
    belongs to (see the module docstring), whose day exists and is open afterwards.

    One query when the day exists (``FOR SHARE`` on PostgreSQL, held to the end of the
    transaction, so a close waits for this operation); two for the day's first operation.
    HQ keeps no business day: its operations keep the calendar's date.
    """
    if location.is_hq:
        return business_date
    while True:
        on, exists = _first_open(_days_from(location.pk, business_date), business_date)
        if exists or insert_if_missing(location.pk, on) is not None:
            return on
        # Inserted concurrently and committed meanwhile (or closed since): look again.
        business_date = on


def current_day(location: Location, *, on: dt.date | None = None) -> dt.date:
    """The business date an operation at ``location`` would belong to now (read only, no
    lock): what "the open business day" means at the counter and on the day's page. ``on``
    is the calendar's business date (default: ``core.calendar.today()``)."""
    calendar = today() if on is None else on
    if location.is_hq:
        return calendar
    days = (
        BusinessDay.objects.filter(location=location, business_date__gte=calendar)
        .order_by("business_date")
        .values_list("business_date", "state")
    )
    return _first_open(list(days), calendar)[0]
