"""Posting a business operation: on the store's business day, with its points lots.

Every operation in this package is written here: the store's day is entered first (an
operation opens it; after a close the store trades on into the next day, see
``days.gate``, which answers the operation's business date), then the ledger writes the
operation and its transfers, then the points side (``PointsBook``) writes its lot changes
against the new operation. The caller holds the card locks.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from membercard.core.actors import Actor
from membercard.core.calendar import business_date_for
from membercard.days.gate import enter_day
from membercard.ledger import posting as ledger
from membercard.ledger.models import Operation
from membercard.ledger.posting import Entry
from membercard.loyalty.services.points import PointsBook


def post(
    entry: Entry,
    *,
    actor: Actor,
    occurred_at: dt.datetime | None = None,
    points: PointsBook | None = None,
) -> Operation:
    """Write ``entry`` (and the lot changes ``points`` recorded for it) as one operation."""
    now = timezone.now()
    business_date = enter_day(actor.location, business_date_for(now))
    operation = ledger.post(
        entry, actor=actor, business_date=business_date, created_at=now, occurred_at=occurred_at
    )
    if points is not None:
        points.save(operation)
    return operation
