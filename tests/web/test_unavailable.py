"""The database away or failing mid-request answers 503 with ``Retry-After`` (never a 500):
a plain page for staff, problem+json for the POS API (``web/middleware_errors.py``); the
counter's confirm renders its panel inside the purchase's transaction, so a committed
purchase never gets a failure page, and the same form again charges once."""

from __future__ import annotations

import json

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import OperationalError, connection, connections
from django.test import RequestFactory

from membercard.core.models import Role
from membercard.ledger.models import Operation, OperationKind
from membercard.web.middleware_errors import DatabaseUnavailableMiddleware
from membercard.web.views import counter
from tests import factories as f
from tests.web.test_counter import PREVIEW_ERRORS, confirm
from tests.web.test_counter_helpers import seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier(client_for):
    f.hq()
    client = client_for(Role.STORE_CASHIER)
    client.raise_request_exception = False
    return client


@pytest.fixture
def card():
    return f.sold_card(seller(), value_minor=10_000)


def _unreachable(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def _is_unavailable_page(response, *, changing: bool) -> str:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'data-code="outcome_unknown"' in html
    assert ("may or may not have been saved" in html) is changing
    return html


def test_a_staff_page_answers_503_when_the_database_is_away(cashier, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", _unreachable)
        response = cashier.get("/counter/")
    _is_unavailable_page(response, changing=False)


def test_a_form_sent_while_the_database_is_away_says_the_outcome_is_unknown(
    cashier, card, monkeypatch
):
    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", _unreachable)
        response = confirm(cashier, card, "12.50", f.key())
    _is_unavailable_page(response, changing=True)


def test_the_health_check_answers_503(client, monkeypatch):
    client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", _unreachable)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "Retry-After" in response


def _failing_middleware_response(path: str, method: str = "get", **headers):
    """What comes back through the middleware when one inside it fails on the database
    (Django has already turned that into its 500)."""

    def inner(request):
        raise OperationalError("server closed the connection unexpectedly")

    middleware = DatabaseUnavailableMiddleware(convert_exception_to_response(inner))
    request = getattr(RequestFactory(), method)(path, headers=headers)
    return middleware(request)


def test_a_database_failure_in_a_middleware_is_a_503_page_too():
    _is_unavailable_page(_failing_middleware_response("/counter/"), changing=False)


def test_a_database_failure_in_a_middleware_on_the_api_is_problem_json():
    read = _failing_middleware_response("/api/v1/stock")
    paid = _failing_middleware_response(
        "/api/v1/cards/1/purchases", "post", **{"Idempotency-Key": "k"}
    )
    assert (read.status_code, json.loads(read.content)["code"]) == (503, "service_unavailable")
    assert (paid.status_code, json.loads(paid.content)["code"]) == (503, "outcome_unknown")
    assert paid["Content-Type"] == "application/problem+json"
    assert int(paid["Retry-After"]) > 0


def test_another_failure_in_a_middleware_stays_a_500():
    def inner(request):
        raise KeyError("bug")

    middleware = DatabaseUnavailableMiddleware(convert_exception_to_response(inner))
    assert middleware(RequestFactory().get("/counter/")).status_code == 500


# The counter's confirm -----------------------------------------------------------------


def test_the_confirmed_panel_is_rendered_inside_the_purchase(cashier, card, monkeypatch):
    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths = []
    real = counter.render_panel

    def spy(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return real(*args, **kwargs)

    monkeypatch.setattr(counter, "render_panel", spy)
    assert confirm(cashier, card, "12.50", f.key()).status_code == 200
    assert len(depths) == 1 and depths[0] > outside


def test_a_panel_that_cannot_be_rendered_leaves_no_purchase(cashier, card, monkeypatch):
    key = f.key()

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(counter, "render_panel", lost)
        response = confirm(cashier, card, "12.50", key)
    _is_unavailable_page(response, changing=True)
    assert not Operation.objects.filter(kind=OperationKind.PURCHASE).exists()
    assert f.balances(card)[0] == 10_000
    # The same form again: taken now, once.
    again = confirm(cashier, card, "12.50", key)
    assert again.status_code == 200
    assert Operation.objects.filter(kind=OperationKind.PURCHASE).count() == 1
    assert f.balances(card)[0] == 8_750


def test_the_counter_gets_the_message_where_its_errors_go(cashier, card, monkeypatch):
    """htmx swaps a 503 (base.html's htmx-config) into the form's error area, so the cashier
    reads that the outcome is unknown instead of a silent button."""
    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "ensure_connection", _unreachable)
        response = confirm(cashier, card, "12.50", f.key())

    html = _is_unavailable_page(response, changing=True)
    assert response["HX-Retarget"] == PREVIEW_ERRORS["X-Error-Target"]
    assert response["HX-Reswap"] == "innerHTML"
    assert "<html" not in html and 'role="alert"' in html
    page = cashier.get("/counter/").content.decode()
    assert '{"code":"503","swap":true,"error":false}' in page
