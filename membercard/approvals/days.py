"""Reopening a closed business day under four eyes: a store manager (their store) or HQ
admin or finance asks, with a reason; HQ admin or finance other than the maker approve.

The approval *applies* (``Kind.apply``, in the approval's transaction): the day opens
again through ``days.closing.reopen_day``, which keeps the close it undoes (figures,
counted takings, seal) in a ``DayReopening`` row; the manager closes and seals it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from membercard.approvals.models import ApprovalRequest, RequestKind, waiting
from membercard.core.actors import Actor
from membercard.core.errors import NotFound, RequestStale, ValidationFailed
from membercard.core.models import Location, LocationKind
from membercard.core.permissions import Action, allowed, require
from membercard.days.closing import closed_day, reopen_day
from membercard.days.models import BusinessDay, DayState

MAX_REASON = 2_000


def _store(actor: Actor, code: str) -> Location:
    """The store named ``code``, if ``actor`` may ask about it (another store's: none)."""
    store = Location.objects.filter(code=code, kind=LocationKind.STORE).first()
    if store is None or not allowed(actor, Action.REQUEST_DAY_REOPENING, store):
        raise NotFound(_("No such store."))
    return store


def _day_preview(day: BusinessDay) -> dict[str, Any]:
    """What the approver sees: the close the reopening undoes."""
    return {
        "location": day.location.code,
        "business_date": day.business_date.isoformat(),
        "closed_at": day.closed_at.isoformat() if day.closed_at else None,
        "closed_by": str(day.closed_by) if day.closed_by else "",
        "expected_total_minor": day.expected_total_minor,
        "declared_total_minor": day.declared_total_minor,
        "variance_minor": day.variance_minor,
        "seal_operation_count": day.seal_operation_count,
        "seal_digest": day.seal_digest,
    }


def request_day_reopening(
    *, actor: Actor, location_code: str, business_date: dt.date, reason: str, idempotency_key: str
) -> ApprovalRequest:
    """Ask for a closed day of a store to be reopened: always a request (HQ admin or finance,
    never the maker, approve it). The preview is the close it would undo."""
    from membercard.approvals import services  # filing sits above the kinds (see refunds)

    require(actor, Action.REQUEST_DAY_REOPENING, _("request reopening a business day"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the day should be reopened."), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason is too long."), field="reason")
    store = _store(actor, location_code)
    payload = {
        "location": store.code,
        "business_date": business_date.isoformat(),
        "reason": reason,
    }
    filed = services._existing(actor, RequestKind.REOPEN_DAY, payload, idempotency_key)
    if filed is not None:
        return filed
    day = BusinessDay.objects.filter(location=store, business_date=business_date).first()
    if day is None:
        raise NotFound(
            _("No business day %(date)s at this store.") % {"date": payload["business_date"]}
        )
    if day.state != DayState.CLOSED:
        raise ValidationFailed(_("That business day is open: there is nothing to reopen."))
    waiting = pending_reopening(store, business_date)
    if waiting is not None:
        raise ValidationFailed(
            _("Request #%(number)d to reopen this day already waits for approval.")
            % {"number": waiting.pk}
        )
    return services._file(
        actor=actor,
        kind=RequestKind.REOPEN_DAY,
        payload=payload,
        preview=_day_preview(day),
        idempotency_key=idempotency_key,
    )


def pending_reopening(store: Location, business_date: dt.date) -> ApprovalRequest | None:
    """The request to reopen ``store``'s day that waits for a decision, if any (one at a
    time: a second would only be refused as stale once the first is approved)."""
    requests = ApprovalRequest.objects.filter(
        kind=RequestKind.REOPEN_DAY,
        payload__location=store.code,
        payload__business_date=business_date.isoformat(),
    )
    return waiting(requests).order_by("id").first()


def apply_day_reopening(request: ApprovalRequest, approved_by: Actor) -> None:
    """Reopen the day, if it is still closed as the request showed it (else ``request_stale``:
    it was reopened and closed again meanwhile)."""
    payload = request.payload
    store = Location.objects.get(code=payload["location"], kind=LocationKind.STORE)
    on = dt.date.fromisoformat(payload["business_date"])
    day = closed_day(store, on)
    if _day_preview(day) != request.preview:
        raise RequestStale(_("The day was closed again since this request was made."))
    reopen_day(
        approved_by=approved_by,
        location=store,
        business_date=on,
        reason=payload["reason"],
        requested_by=request.maker,
        approval_request_id=request.pk,
    )
