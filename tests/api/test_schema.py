"""The OpenAPI document and docs are served; schemathesis drives every endpoint from the live
schema (through the WSGI app, authenticated with a real key) and finds no 5xx and no
response that breaks the schema."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import API, body

pytestmark = pytest.mark.django_db

CONTRACT = {
    ("post", "/api/v1/cards/lookup"),
    ("get", "/api/v1/cards/{number}"),
    ("get", "/api/v1/cards/{number}/operations"),
    ("post", "/api/v1/cards/{number}/sale"),
    ("post", "/api/v1/cards/{number}/top-ups"),
    ("post", "/api/v1/cards/{number}/purchases"),
    ("post", "/api/v1/operations/{id}/refunds"),
    ("post", "/api/v1/operations/{id}/reversal"),
    ("get", "/api/v1/stock"),
    ("get", "/api/v1/operations/{id}"),
    ("post", "/api/v1/cards/{number}/gift-redemptions"),
    ("get", "/api/v1/gifts"),
}


def test_the_openapi_document_has_the_contract_with_examples(anonymous):
    response = anonymous.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = body(response)
    found = {(m, p) for p, methods in document["paths"].items() for m in methods}
    assert found >= CONTRACT
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method} {path}"
            assert operation["security"] == [{"TerminalKey": []}], where
            assert "401" in operation["responses"], where
            for status, answer in operation["responses"].items():
                (media,) = answer["content"].values()
                assert "example" in media, (where, status)
                if int(status) >= 400:
                    assert "application/problem+json" in answer["content"], (where, status)
            if "requestBody" in operation:
                (media,) = operation["requestBody"]["content"].values()
                assert "example" in media, where
            if method == "post" and ("{number}/" in path or "{id}/" in path):
                names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
                assert names == ["Idempotency-Key"], where
    assert document["components"]["securitySchemes"]["TerminalKey"]["scheme"] == "bearer"


def test_the_docs_are_served_from_local_static_files(anonymous):
    page = anonymous.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert finders.find("ninja/swagger-ui-bundle.js")


# Schemathesis ---------------------------------------------------------------------------


@pytest.fixture
def wsgi_app(db):
    """The real WSGI application, without its closing of database connections at the start
    and end of each request (django.test.Client does the same), so the requests see the
    test's transaction."""
    django_app = get_wsgi_application()
    signals = (request_started, request_finished)

    def app(environ, start_response):
        for signal in signals:
            signal.disconnect(close_old_connections)
        try:
            response = django_app(environ, start_response)
            content = b"".join(response)
            response.close()
        finally:
            for signal in signals:
                signal.connect(close_old_connections)
        return [content]

    return app


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", wsgi_app)


@pytest.fixture
def world(settings, cashier_s01, shop, product):
    """Real things for generated requests to hit now and then: an active card, a card in
    stock here, a purchase of this terminal, a gift in stock here (the documented example's,
    for a point); and a key. Throttling is set out of reach."""
    from tests.api.conftest import make_till
    from tests.loyalty.gift_helpers import new_gift, stocked

    settings.MEMBERCARD_API_THROTTLE_PER_KEY = 10**6
    settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS = 10**6
    till = make_till("S01", "till-schema")
    card = f.sold_card(cashier_s01, product, 50_000)
    stock = f.stock_card(product, shop)
    bought = body(till.post(f"/cards/{card.number}/purchases", {"amount": 500}, key="seed"))
    stocked(new_gift("MUG-01", 1, name="Mug"), {shop: 1_000})
    return {
        "key": till.key,
        "numbers": itertools.cycle([card.number, stock.number, None]),
        "ids": itertools.cycle([bought["operation_id"], None]),
    }


MAX_EXAMPLES = 10  # per operation and generation mode: a few hundred requests in all


def _mix_in_real_things(case, world) -> None:
    """Point some generated requests at real cards and operations, so success answers are
    checked against the schema too (random numbers and ids only ever miss)."""
    parameters = case.path_parameters or {}
    if "number" in parameters:
        parameters["number"] = next(world["numbers"]) or parameters["number"]
    if "id" in parameters:
        parameters["id"] = next(world["ids"]) or parameters["id"]
    if case.path.endswith("/lookup") and isinstance(case.body, dict):
        case.body["input"] = next(world["numbers"]) or case.body.get("input")


@pytest.mark.parametrize(("method", "path"), sorted(CONTRACT))
def test_the_api_keeps_its_schema(api_schema, world, method, path):
    """Examples from the document, then schema-valid and schema-breaking requests for one
    operation, authenticated with a real key; checks: no 5xx, documented status, content
    type, headers and body."""
    operation = api_schema[path][method.upper()]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]

    def check(case) -> None:
        _mix_in_real_things(case, world)
        case.call_and_validate(headers={"Authorization": f"Bearer {world['key']}"}, checks=checks)

    strategies = [
        *api_schema.get_strategies_from_examples(operation),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    for strategy in strategies:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case) -> None:
            check(case)

        run()
    assert Operation.objects.exists()
