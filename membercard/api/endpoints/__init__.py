"""The API's endpoints, one module per resource; each is thin: parse, scope, one service
or selector call, render. What money requests share is in ``_money.py``."""

from __future__ import annotations

from typing import Any

from membercard.api.schemas import Problem

MAX_ID = 2**63 - 1


def responses(ok_status: int, ok_schema: Any, *error_statuses: int) -> dict[int, Any]:
    """Response declarations for the OpenAPI document: the success, 401, 422 (validation)
    and 503 (the database away: ``outcome_unknown`` or ``service_unavailable``) for every
    endpoint, and the listed problems."""
    declared: dict[int, Any] = {ok_status: ok_schema}
    for status in sorted({401, 422, 503, *error_statuses}):
        declared[status] = Problem
    return declared
