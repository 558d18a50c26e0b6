"""The seal chain of each store-day: close, reopening, close again... one hash-linked row
each (``SealEvent``), so the history of a day's seals cannot be rewritten quietly.

``close_day`` appends a *sealed* row with the seal it made; ``reopen_day`` appends a
*reopened* row with the seal it undid, the reason, who asked and who approved; the next
close appends the new seal. Each row's ``hash`` is ``sha256`` over its own fields and the
previous row's hash (the first row of a day links to ""). ``check_chains`` (part of
``membercard verify``) recomputes every chain and checks that its last row agrees with the
day as it stands: a closed day ends on its current seal, a reopened day on a reopening,
and the chain counts as many reopenings as ``DayReopening`` rows are kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from membercard.core.models import Location, Staff
from membercard.days.models import BusinessDay, DayReopening, DayState, SealEvent, SealEventKind


def chain_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """The row's hash: its fields (as ``_fields`` lists them) after the previous hash."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}\n{text}".encode()).hexdigest()


def _fields(event: SealEvent) -> dict[str, Any]:
    return {
        "location": event.location_id,
        "business_date": event.business_date.isoformat(),
        "kind": str(event.kind),
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "staff": event.staff_id,
        "requested_by": event.requested_by_id,
        "reason": event.reason,
        "approval_request": event.approval_request_id,
        "seal_digest": event.seal_digest,
        "seal_operation_count": event.seal_operation_count,
        "seal_last_operation_id": event.seal_last_operation_id,
    }


def _last(day: BusinessDay) -> SealEvent | None:
    return (
        SealEvent.objects.filter(location_id=day.location_id, business_date=day.business_date)
        .order_by("-pk")
        .first()
    )


def append(
    day: BusinessDay,
    *,
    kind: SealEventKind,
    staff: Staff | None,
    reason: str = "",
    requested_by: Staff | None = None,
    approval_request_id: int | None = None,
) -> SealEvent:
    """Add the day's close (``day`` as just sealed) or reopening (``day`` still holding the
    seal it loses) to its chain. The caller holds the day row ``FOR UPDATE``."""
    previous = _last(day)
    event = SealEvent(
        location_id=day.location_id,
        business_date=day.business_date,
        kind=kind,
        at=timezone.now(),
        staff=staff,
        requested_by=requested_by,
        reason=reason,
        approval_request_id=approval_request_id,
        seal_digest=day.seal_digest,
        seal_operation_count=day.seal_operation_count or 0,
        seal_last_operation_id=day.seal_last_operation_id,
        previous_hash=previous.hash if previous else "",
    )
    event.hash = chain_hash(event.previous_hash, _fields(event))
    event.save()
    return event


def _seal_of(thing: Any) -> tuple[str, int, int | None]:
    return (thing.seal_digest, thing.seal_operation_count or 0, thing.seal_last_operation_id)


def _check_one(where: str, events: list[SealEvent], day: BusinessDay | None, kept: list) -> list:
    problems = []
    previous = ""
    for event in events:
        if event.previous_hash != previous or event.hash != chain_hash(previous, _fields(event)):
            problems.append(f"{where}: the seal chain is broken at its row {event.pk}")
            return problems
        previous = event.hash
    last = events[-1] if events else None
    if day is not None and day.state == DayState.CLOSED:
        if last is None or last.kind != SealEventKind.SEALED or _seal_of(last) != _seal_of(day):
            problems.append(f"{where}: the seal chain does not end on the day's seal")
    elif last is not None and last.kind != SealEventKind.REOPENED:
        problems.append(f"{where}: the day is open, but its seal chain does not say it reopened")
    # Each kept close's seal is rechecked against the operations by ``seals``; here only
    # that none went missing (or was added) beside the chain.
    reopened = sum(1 for e in events if e.kind == SealEventKind.REOPENED)
    if reopened != len(kept):
        problems.append(
            f"{where}: the seal chain records {reopened} reopening(s), {len(kept)} are kept"
        )
    return problems


def check_chains(summary) -> None:
    """Walk every store-day's seal chain (see the module docstring)."""
    events: dict[tuple[int, dt.date], list[SealEvent]] = defaultdict(list)
    for event in SealEvent.objects.order_by("pk").iterator():
        events[(event.location_id, event.business_date)].append(event)
    kept: dict[tuple[int, dt.date], list[DayReopening]] = defaultdict(list)
    for old in DayReopening.objects.select_related("day").order_by("pk"):
        kept[(old.day.location_id, old.day.business_date)].append(old)
    watched = BusinessDay.objects.filter(
        Q(state=DayState.CLOSED) | Q(reopenings__isnull=False)
    ).distinct()
    days = {(day.location_id, day.business_date): day for day in watched}
    keys = set(events) | set(days) | set(kept)
    codes = dict(Location.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "code"))
    for key in sorted(keys, key=lambda k: (k[1], codes.get(k[0], ""))):
        where = f"business day {codes.get(key[0], key[0])} {key[1].isoformat()}"
        summary.problems.extend(_check_one(where, events.get(key, []), days.get(key), kept[key]))
    summary.checked["seal chains"] = len(keys)
