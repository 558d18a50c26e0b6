"""What waits for whom: the requests an actor may decide (never their own), their own."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from membercard.approvals.kinds import KINDS
from membercard.approvals.models import ApprovalRequest, RequestState, waiting
from membercard.core.actors import Actor
from membercard.core.permissions import Action, allowed


def decidable_kinds(actor: Actor) -> list[str]:
    """The kinds of request ``actor``'s role may approve or reject (where they act)."""
    return [kind for kind, rules in KINDS.items() if allowed(actor, rules.decide)]


def may_decide(actor: Actor, request: ApprovalRequest) -> bool:
    """Whether the page offers ``actor`` the Approve and Reject buttons."""
    return (
        actor.staff is not None
        and request.maker_id != actor.staff.pk
        and request.kind in decidable_kinds(actor)
        and (actor.at_hq or request.location_id == actor.location.pk)
        and request.state == RequestState.PENDING
        and not request.is_due()
    )


def _with_people(requests: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return requests.select_related("maker", "terminal", "decided_by", "location", "operation")


def in_state(requests: QuerySet[ApprovalRequest], state: str, now: dt.datetime | None = None):
    """Filter by the state as shown: a pending request past its expiry counts as expired."""
    now = now or timezone.now()
    if state == RequestState.PENDING:
        return waiting(requests, now)
    if state == RequestState.EXPIRED:
        return requests.filter(Q(state=state) | Q(state=RequestState.PENDING, expires_at__lte=now))
    return requests.filter(state=state) if state else requests


def pending_for(actor: Actor, now: dt.datetime | None = None) -> QuerySet[ApprovalRequest]:
    """The pending requests ``actor`` may decide: of the kinds their role approves, made by
    someone else, not yet expired; oldest first."""
    if actor.staff is None:
        return ApprovalRequest.objects.none()
    requests = ApprovalRequest.objects.filter(kind__in=decidable_kinds(actor)).exclude(
        maker=actor.staff
    )
    if not actor.at_hq:  # a store manager: their store's (refunds)
        requests = requests.filter(location=actor.location)
    return _with_people(in_state(requests, RequestState.PENDING, now)).order_by("id")


def visible_to(actor: Actor) -> QuerySet[ApprovalRequest]:
    """The requests ``actor`` may open: HQ any; a store manager (who approves refunds there)
    their store's; any other store staff member (a cashier) the ones they made."""
    requests = _with_people(ApprovalRequest.objects.all())
    if actor.at_hq:
        return requests
    if actor.staff is None:
        return requests.none()
    if allowed(actor, Action.APPROVE_REFUND):
        return requests.filter(location=actor.location)
    return requests.filter(maker=actor.staff, location=actor.location)


def requests_by(actor: Actor) -> QuerySet[ApprovalRequest]:
    """The requests ``actor`` made, newest first."""
    if actor.staff is None:
        return ApprovalRequest.objects.none()
    return _with_people(ApprovalRequest.objects.filter(maker=actor.staff)).order_by("-id")


def pending_count(actor: Actor) -> int:
    return pending_for(actor).count()
