"""A closed business day's seal, and the check ``membercard verify`` runs on every seal.

The seal is ``sha256`` over the day's operation digests (``chain.digest``: what each
operation is, with its transfers) in operation id order, one hex digest per line. With it
the day keeps how many operations it sealed and the last one's id. Changing, adding,
dropping or moving an operation of a sealed day (or the seal itself) no longer matches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from membercard.days import seal_chain
from membercard.days.models import BusinessDay, DayReopening, DayState
from membercard.ledger import chain
from membercard.ledger.models import Operation, Transfer

CHUNK = 2_000


@dataclass(frozen=True)
class Seal:
    digest: str
    operation_count: int
    last_operation_id: int | None


def seal_of(location_id: int, business_date: dt.date, through: int | None = None) -> Seal:
    """The seal of the store-day as its operations stand now (``through``: only those up to
    that operation id, as an earlier close sealed them)."""
    hasher = hashlib.sha256()
    count, last = 0, None
    ops = Operation.objects.filter(location_id=location_id, business_date=business_date)
    if through is not None:
        ops = ops.filter(pk__lte=through)
    ids = list(ops.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        transfers: dict[int, list[Transfer]] = defaultdict(list)
        for t in Transfer.objects.filter(operation_id__in=chunk).order_by("pk"):
            transfers[t.operation_id].append(t)
        for op in Operation.objects.filter(pk__in=chunk).order_by("pk"):
            hasher.update(f"{chain.digest(op, transfers[op.pk])}\n".encode())
            count, last = count + 1, op.pk
    return Seal(hasher.hexdigest(), count, last)


def check_seals(summary) -> None:
    """Recompute every closed day's seal; name the store and date of each mismatch."""
    checked = 0
    for day in (
        BusinessDay.objects.filter(state=DayState.CLOSED)
        .select_related("location")
        .order_by("business_date", "location__code")
        .iterator()
    ):
        checked += 1
        seal = seal_of(day.location_id, day.business_date)
        where = f"business day {day.location.code} {day.business_date.isoformat()}"
        if seal.operation_count != day.seal_operation_count:
            summary.problems.append(
                f"{where}: sealed {day.seal_operation_count} operations, "
                f"but {seal.operation_count} are recorded for it now"
            )
        elif seal.last_operation_id != day.seal_last_operation_id:
            summary.problems.append(f"{where}: its last sealed operation is not the last one now")
        elif seal.digest != day.seal_digest:
            summary.problems.append(f"{where}: its operations do not match the seal any more")
    summary.checked["sealed days"] = checked
    check_reopened_seals(summary)
    seal_chain.check_chains(summary)


def check_reopened_seals(summary) -> None:
    """A reopened day's earlier seal still holds for the operations it sealed: operations
    posted after the reopening have higher ids, so that seal covers those up to its last
    operation id (none: it sealed an empty day, and no operation may come before)."""
    checked = 0
    for old in DayReopening.objects.select_related("day", "day__location").order_by("pk"):
        checked += 1
        day = old.day
        through = old.seal_last_operation_id or 0
        seal = seal_of(day.location_id, day.business_date, through=through)
        where = (
            f"business day {day.location.code} {day.business_date.isoformat()} "
            f"(closed before its reopening {old.reopened_at:%Y-%m-%d %H:%M})"
        )
        if (seal.operation_count, seal.digest) != (old.seal_operation_count, old.seal_digest):
            summary.problems.append(f"{where}: its operations do not match that seal any more")
    if checked:
        summary.checked["earlier seals of reopened days"] = checked


def verify_seals():
    """The ``business days`` part of ``membercard verify``."""
    from membercard.ledger.verify import Summary

    summary = Summary("business days")
    check_seals(summary)
    return summary
