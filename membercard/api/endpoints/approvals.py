"""Approval requests a till filed (a refund outside the counter rule, answered 403
``refund_needs_approval`` with the request's number): where the till finds how it ended.

A terminal sees the requests of its own store; another store's answer like nonexistent ones.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Router, Schema
from pydantic import ConfigDict

from membercard.api import render
from membercard.api.auth import actor_of
from membercard.api.endpoints import MAX_ID, responses
from membercard.approvals.models import ApprovalRequest
from membercard.core.errors import NotFound

router = Router(tags=["approvals"])

RequestId = Path(..., ge=1, le=MAX_ID, description="The request_id a refusal gave.", examples=[17])


class ApprovalRequestOut(Schema):
    """A request's state as shown (a pending one past its expiry is ``expired``) and, once
    approved, the operation it posted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": 17,
                    "kind": "refund",
                    "state": "approved",
                    "created_at": "2026-11-23T10:42:00+08:00",
                    "expires_at": "2026-11-25T10:42:00+08:00",
                    "decided_at": "2026-11-23T10:45:12+08:00",
                    "operation_id": 1043,
                }
            ]
        }
    )
    request_id: int
    kind: str
    state: str
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    operation_id: int | None


@router.get(
    "/{id}",
    response=responses(200, ApprovalRequestOut, 404),
    summary="A request filed at this store (a refund waiting for a manager's approval)",
    description="`state` is `pending`, `approved` (with the `operation_id` it posted: the "
    "refund, made as this terminal), `rejected` or `expired` (nothing was posted).",
)
def get_approval_request(request: HttpRequest, id: int = RequestId) -> HttpResponse:
    actor = actor_of(request)
    found = ApprovalRequest.objects.filter(pk=id, location=actor.location).first()
    if found is None:
        raise NotFound(_("No such request at this store."))
    state = "expired" if found.is_due() else found.state
    body = ApprovalRequestOut(
        request_id=found.pk,
        kind=found.kind,
        state=state,
        created_at=found.created_at,
        expires_at=found.expires_at,
        decided_at=found.decided_at,
        operation_id=found.operation_id,
    )
    return render.json_response(body)
