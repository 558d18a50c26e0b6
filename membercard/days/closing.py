"""Closing a store's business day (counted takings, variance, seal) and HQ finance's
record of a store's deposit. One transaction each."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import DayClosed, IdempotencyConflict, NotFound, ValidationFailed
from membercard.core.models import Location, LocationKind, Staff
from membercard.core.money import check_amount
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.days import seal_chain
from membercard.days.gate import current_day, insert_if_missing
from membercard.days.models import (
    BusinessDay,
    DayReopening,
    DayState,
    DayTakings,
    DepositReceipt,
    SealEventKind,
)
from membercard.days.reconciliation import TenderFigures, day_figures
from membercard.days.seals import seal_of
from membercard.ledger import idempotency
from membercard.ledger.models import Tender

MAX_COMMENT = 2_000


def _check_counts(counted: dict[str, int]) -> dict[str, int]:
    unknown = set(counted) - set(Tender.values)
    if unknown:
        raise ValidationFailed(_("Unknown tender: %s.") % ", ".join(sorted(unknown)))
    for tender, amount in counted.items():
        # Negative: more was paid out of the till by this tender (a deposit handed back)
        # than taken; the size limit holds either way.
        size = abs(amount) if type(amount) is int else amount
        check_amount(size, allow_zero=True, field=tender)
    return {t: counted.get(t, 0) for t in Tender.values}


@business_operation
def close_day(
    *,
    actor: Actor,
    counted: dict[str, int],
    comment: str = "",
    business_date: dt.date | None = None,
) -> BusinessDay:
    """The store manager closes the store's business day (its current day unless told,
    see ``days.gate.current_day``): the system's totals per tender and kind are kept with
    the takings counted per tender, the variance (counted - expected; a comment is
    required when there is one) and the seal. A tender counted negative is money paid out
    of the till (a deposit handed back): it lowers what was counted."""
    require(actor, Action.CLOSE_DAY, _("close the business day"))
    if actor.location.kind != LocationKind.STORE:
        raise ValidationFailed(_("Headquarters keeps no business day."))
    current = current_day(actor.location)
    on = business_date or current
    if on > current:
        raise ValidationFailed(_("A day in the future cannot be closed."), field="business_date")
    counts = _check_counts(counted)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(_("The comment is too long."), field="comment")
    if on == current:
        insert_if_missing(actor.location.pk, on)  # the day may close before any operation
    # Waits for operations in flight (they hold the day FOR SHARE); later ones see it closed.
    day = (
        BusinessDay.objects.select_for_update()
        .filter(location=actor.location, business_date=on)
        .first()
    )
    if day is None:
        raise NotFound(_("No business day %(date)s at this store.") % {"date": on.isoformat()})
    if day.state == DayState.CLOSED:
        raise DayClosed(
            _("The business day %(date)s is already closed.") % {"date": on.isoformat()},
            business_date=on.isoformat(),
        )
    figures = day_figures(actor.location, on)
    expected = {t: figures.tenders.get(t, TenderFigures()).total for t in counts}
    declared, expected_total = sum(counts.values()), figures.collected_total
    variance = declared - expected_total
    if variance and not comment:
        raise ValidationFailed(
            _("The counted takings differ from the system's: say why in the comment."),
            field="comment",
        )
    seal = seal_of(actor.location.pk, on)
    DayTakings.objects.bulk_create(
        DayTakings(day=day, tender=t, expected_minor=expected[t], counted_minor=counts[t])
        for t in counts
    )
    day.state = DayState.CLOSED
    day.closed_at = timezone.now()
    day.closed_by = actor.staff
    day.totals = figures.as_json()
    day.expected_total_minor = expected_total
    day.declared_total_minor = declared
    day.variance_minor = variance
    day.comment = comment
    day.seal_digest = seal.digest
    day.seal_operation_count = seal.operation_count
    day.seal_last_operation_id = seal.last_operation_id
    day.save()
    seal_chain.append(day, kind=SealEventKind.SEALED, staff=actor.staff)
    return day


def closed_day(location: Location, business_date: dt.date) -> BusinessDay:
    """The closed day of ``location`` on ``business_date``, locked, else ``NotFound`` /
    ``ValidationFailed`` (it is open)."""
    day = (
        BusinessDay.objects.select_for_update()
        .filter(location=location, business_date=business_date)
        .first()
    )
    if day is None:
        raise NotFound(
            _("No business day %(date)s at this store.") % {"date": business_date.isoformat()}
        )
    if day.state != DayState.CLOSED:
        raise ValidationFailed(
            _("The business day %(date)s is open: there is nothing to reopen.")
            % {"date": business_date.isoformat()}
        )
    return day


def reopen_day(
    *,
    approved_by: Actor,
    location: Location,
    business_date: dt.date,
    reason: str,
    requested_by: Staff | None = None,
    approval_request_id: int | None = None,
) -> DayReopening:
    """Reopen a closed day of a store: it is open again (operations may be posted on it,
    its manager closes and seals it again), and the close it undoes is kept as it was in a
    ``DayReopening`` row (figures, counted takings, seal); the day's seal chain records the
    reopening (``days.seal_chain``), as it records the next close's new seal. Only under
    four eyes: called by the approval of a request (``approvals.days``), inside the
    approval's transaction;
    ``approved_by`` is the second person, who may approve reopenings."""
    require(approved_by, Action.APPROVE_DAY_REOPENING, _("reopen a business day"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the day is reopened."), field="reason")
    day = closed_day(location, business_date)
    takings = day.takings.all()
    kept = DayReopening.objects.create(
        day=day,
        requested_by=requested_by,
        approved_by=approved_by.staff,
        reason=reason,
        approval_request_id=approval_request_id,
        closed_at=day.closed_at,
        closed_by=day.closed_by,
        totals=day.totals,
        takings={
            t.tender: {"expected_minor": t.expected_minor, "counted_minor": t.counted_minor}
            for t in takings
        },
        expected_total_minor=day.expected_total_minor,
        declared_total_minor=day.declared_total_minor,
        variance_minor=day.variance_minor,
        comment=day.comment,
        seal_digest=day.seal_digest,
        seal_operation_count=day.seal_operation_count,
        seal_last_operation_id=day.seal_last_operation_id,
    )
    seal_chain.append(
        day,
        kind=SealEventKind.REOPENED,
        staff=approved_by.staff,
        reason=reason,
        requested_by=requested_by,
        approval_request_id=approval_request_id,
    )
    takings.delete()  # kept above; the next close counts again
    day.state = DayState.OPEN
    day.closed_at = day.closed_by = day.totals = None
    day.expected_total_minor = day.declared_total_minor = day.variance_minor = None
    day.comment = day.seal_digest = ""
    day.seal_operation_count = day.seal_last_operation_id = None
    day.save()
    return kept


@business_operation
def record_deposit(
    *,
    actor: Actor,
    location_code: str,
    business_date: dt.date,
    amount_minor: int,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
) -> DepositReceipt:
    """HQ finance records that HQ received ``amount_minor`` from a store for its day. A
    replay of the same key returns the first receipt; another request under it is refused."""
    require(actor, Action.RECORD_DEPOSIT, _("record deposits"))
    if not actor.at_hq:
        raise ValidationFailed(_("Deposits are recorded at headquarters."))
    key = idempotency.check_key(idempotency_key)
    location = Location.objects.filter(code=location_code, kind=LocationKind.STORE).first()
    if location is None:
        raise NotFound(_("No store with that code."), field="location")
    check_amount(amount_minor, field="amount")
    if business_date > today():
        raise ValidationFailed(_("That business day has not come yet."), field="business_date")
    existing = DepositReceipt.objects.filter(recorded_by=actor.staff, idempotency_key=key).first()
    if existing is not None:
        same = (existing.location_id, existing.business_date, existing.amount_minor) == (
            location.pk,
            business_date,
            amount_minor,
        )
        if not same:
            raise IdempotencyConflict()
        return existing
    try:
        with transaction.atomic():
            return DepositReceipt.objects.create(
                location=location,
                business_date=business_date,
                amount_minor=amount_minor,
                reference=reference.strip()[:64],
                note=note.strip()[:MAX_COMMENT],
                recorded_by=actor.staff,
                idempotency_key=key,
            )
    except IntegrityError as exc:
        raise ValidationFailed(_("The deposit could not be recorded.")) from exc
