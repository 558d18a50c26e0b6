"""The API's endpoints, one module per resource; each is thin: parse, scope, one service
or selector call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from ninja import Header

from membercard.api import render
from membercard.api.idempotency import HEADER, REPLAYED_HEADER
from membercard.api.schemas import Problem
from membercard.ledger.models import Operation

MAX_ID = 2**63 - 1


def responses(ok_status: int, ok_schema: Any, *error_statuses: int) -> dict[int, Any]:
    """Response declarations for the OpenAPI document: the success, 401 for every
    endpoint, 422 for every endpoint (validation), and the listed problems."""
    declared: dict[int, Any] = {ok_status: ok_schema}
    for status in sorted({401, 422, *error_statuses}):
        declared[status] = Problem
    return declared


def idempotency_key_param() -> Any:
    return Header(
        ...,
        alias=HEADER,
        max_length=255,
        description="Required on every money-changing request; unique per terminal and kept "
        "at least 7 days. The same key with the same request replays the first response "
        "(same status and body, plus `Idempotent-Replayed: true`); with a different "
        "request it is refused with 409 `idempotency_conflict`.",
        examples=["till1-20261123-0042"],
    )


def operation_response(
    operation: Operation,
    *,
    replayed: bool,
    out: Callable[[Operation], Any] = render.operation_out,
) -> HttpResponse:
    """A money request's answer (201), rendered by ``out`` from the operation the service
    returned (the first one, on a replay) and the card's transfers up to it (see
    render.py)."""
    return render.json_response(
        out(render.with_related(operation)),
        status=201,
        headers={REPLAYED_HEADER: "true"} if replayed else None,
    )
