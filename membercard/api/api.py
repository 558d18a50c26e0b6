"""The NinjaAPI instance: routers, authentication, error handlers, the OpenAPI document.

Served at ``/api/v1/``: the schema at ``openapi.json``, Swagger UI at ``docs`` (from
django-ninja's own static files, no CDN).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from membercard.api import errors
from membercard.api.auth import TerminalKey
from membercard.api.endpoints import approvals, cards, gifts, hand_back, money, operations, stock

DESCRIPTION = """\
The card system's API for tills and kiosks. Authenticate with a terminal key
(`Authorization: Bearer mct_…`, made at HQ with `membercard terminal-key create`); a key
acts as a cashier at its store.

* Money is an integer count of minor units; every body with money carries `currency`.
* Errors are `application/problem+json` with a stable `code`.
* Money-changing requests need an `Idempotency-Key` header: retry with the same key and
  body after a timeout and you get the first answer (`Idempotent-Replayed: true`), never
  a second charge.
* Card reads are throttled per key and per client address (429 with `Retry-After`).

**Timeouts and 5xx: retry the same request with the same key.** A money request has a
definite answer only when it gets one: 201 (made, or `Idempotent-Replayed: true` for the
first one), or a 4xx refusal (nothing was made; a new attempt needs a fixed request and,
after a 409 `idempotency_conflict`, a new key). On a timeout, a dropped connection or any
5xx, do not treat the payment as declined and do not send it under a new key: send the
same request (same body, same `Idempotency-Key`) again, after `Retry-After` seconds when
given, until a definite answer comes. 503 `outcome_unknown` says exactly that: the
database failed under the request and the operation may or may not have been made; the
retry answers the first result if it was. Keys are kept at least 7 days. A read (GET, card
look-up) answers 503 `service_unavailable` while the database is away: ask again later.
"""

ERROR_EXAMPLES = {
    400: ("malformed_request", "The request body is not valid JSON."),
    401: ("not_authenticated", "Send a valid, unrevoked terminal key."),
    403: ("not_permitted", "Only headquarters may top up Gold value card cards."),
    404: (
        "card_not_found",
        "No card with that number here: check the number. A card held by another store is "
        "served there or by HQ.",
    ),
    409: ("idempotency_conflict", "This idempotency key was already used for a different request."),
    422: ("validation_error", "header Idempotency-Key: Field required"),
    429: ("throttled", "Too many card reads for this key; try again in 12 s."),
    503: (
        "outcome_unknown",
        "The operation may or may not have been made. Send the same request with the same "
        "Idempotency-Key again.",
    ),
}
READ_503 = ("service_unavailable", "The database cannot be reached just now; try again.")
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


class PosAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        finish_schema(schema)
        return schema


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _add_example(content: dict, components: dict) -> None:
    for media in content.values():
        examples = _resolve(media.get("schema", {}), components).get("examples")
        if examples and "example" not in media:
            media["example"] = examples[0]


def finish_schema(schema: dict) -> None:
    """What django-ninja does not say by itself: problems are ``application/problem+json``
    (with an example each), 429 and 503 carry ``Retry-After`` (503 is ``outcome_unknown``
    on a money request, ``service_unavailable`` on a read), 201 may carry
    ``Idempotent-Replayed``; every body gets an example."""
    components = schema.get("components", {}).get("schemas", {})
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            headers = {
                p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"
            }
            money = "Idempotency-Key" in headers
            body = operation.get("requestBody")
            if body:
                _add_example(body.get("content", {}), components)
            for status, response in operation.get("responses", {}).items():
                content = response.get("content") or {}
                code = int(status)
                if code >= 400 and "application/json" in content:
                    media = content.pop("application/json")
                    problem_code, detail = ERROR_EXAMPLES.get(code, ("domain_error", "Refused."))
                    if code == 503 and not money:
                        problem_code, detail = READ_503
                    media["example"] = {
                        "type": f"urn:membercard:problem:{problem_code}",
                        "title": errors.TITLES.get(problem_code, detail),
                        "status": code,
                        "detail": detail,
                        "code": problem_code,
                    }
                    content[errors.PROBLEM_JSON] = media
                    response["content"] = content
                if code in (429, 503):
                    response["headers"] = RETRY_AFTER
                if code == 201:
                    response["headers"] = {
                        "Idempotent-Replayed": {
                            "description": "`true` when this answers a replayed request.",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
                    }
                _add_example(content, components)


api = PosAPI(
    title="membercard POS API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TerminalKey(),
)
errors.install(api)
api.add_router("/cards", cards.router)
api.add_router("/cards", money.router)
api.add_router("/cards", gifts.redemptions)
api.add_router("/cards", hand_back.router)
api.add_router("/operations", operations.router)
api.add_router("/stock", stock.router)
api.add_router("/gifts", gifts.router)
api.add_router("/approval-requests", approvals.router)
