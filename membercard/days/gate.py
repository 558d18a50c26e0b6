"""Entering a store's business day: an operation opens the day, a closed day refuses it.

Called by ``membercard.operations.posting`` before an operation is written. On PostgreSQL
the day row is read ``FOR SHARE`` and held to the end of the transaction, so a close
(which takes it ``FOR UPDATE``) waits for the operations in flight.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from membercard.core.errors import DayClosed
from membercard.core.models import Location
from membercard.days.models import BusinessDay, DayState

_TABLE = BusinessDay._meta.db_table


def _select_state(location_id: int, business_date: dt.date) -> str | None:
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT state FROM {_TABLE} WHERE location_id = %s AND business_date = %s{lock}",
            [location_id, connection.ops.adapt_datefield_value(business_date)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


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


def enter_day(location: Location, business_date: dt.date) -> None:
    """Called by ``operations.posting.post`` before an operation is written at ``location``: the
    store's day exists afterwards (an operation opens it) and is open, else ``DayClosed``.

    One query when the day exists (``FOR SHARE`` on PostgreSQL, held to the end of the
    transaction, so a close waits for this operation); two for the day's first operation.
    """
    if location.is_hq:
        return
    state = _select_state(location.pk, business_date)
    if state is None:
        state = insert_if_missing(location.pk, business_date)
        if state is None:  # inserted concurrently and committed meanwhile: read it again
            state = _select_state(location.pk, business_date)
    if state != DayState.OPEN:
        raise DayClosed(
            gettext("The business day %(date)s is closed at this store: no more operations today.")
            % {"date": business_date.isoformat()},
            business_date=business_date.isoformat(),
        )
