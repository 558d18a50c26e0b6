"""Errors are application/problem+json with a stable code; bad input never gives a 500."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.api.conftest import API, problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/nope", "/cards", "/cards/lookup/x", "/operations", "/"])
def test_unknown_paths_are_404_problems(till, path):
    response = till.client.get(f"{API}{path}")
    assert (response.status_code, problem(response)["code"]) == (404, "not_found")


def test_unknown_paths_answer_404_without_a_key_too(anonymous):
    assert problem(anonymous.get(f"{API}/nope"))["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/cards/8810000000000011", "GET"),
        ("get", "/cards/lookup", "POST"),
        ("put", "/operations/1", "GET"),
        ("get", "/operations/1/reversal", "POST"),
        ("post", "/stock", "GET"),
    ],
)
def test_wrong_methods_are_405_problems(till, method, path, allowed):
    response = getattr(till.client, method)(f"{API}{path}")
    assert (response.status_code, problem(response)["code"]) == (405, "method_not_allowed")
    assert response["Allow"] == allowed


@pytest.mark.parametrize("raw", [b"{bad", b"\xff\xfe", b'{"input": "1"'])
def test_a_body_that_is_not_json_is_400(till, raw):
    response = till.client.post(f"{API}/cards/lookup", data=raw, content_type="application/json")
    assert (response.status_code, problem(response)["code"]) == (400, "malformed_request")


def test_a_problem_names_its_type_and_title(till):
    details = problem(till.post("/cards/lookup", {"input": "hello"}))
    assert details["type"] == "urn:membercard:problem:unreadable_input"
    assert details["title"] == "The reader input could not be understood."


def test_validation_errors_list_what_is_wrong(till):
    details = problem(till.post("/cards/lookup", {"inptu": "x"}))
    assert details["code"] == "validation_error"
    assert details["errors"][0]["loc"] == ["body", "body", "input"]


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/cards/{number}/purchases", {"amount": 100, "currency": "USD"}, "currency"),
        ("/cards/{number}/top-ups", {"amount": 100, "tender": "cash", "bonus": 5}, "bonus"),
        ("/cards/lookup", {"input": "x", "pan": "4111"}, "pan"),
    ],
)
def test_unknown_body_fields_are_refused_by_name(till, card, path, payload, field):
    """Issue #13, reproduction 12: ``{"amount":100,"currency":"USD"}`` charged 1.00 CNY."""
    from membercard.ledger.models import Operation
    from tests.ledger.helpers import unchanged

    operations = Operation.objects.count()
    with unchanged(card):
        response = till.post(path.format(number=card.number), payload, key="k1")

    details = problem(response)
    assert (response.status_code, details["code"]) == (422, "validation_error")
    assert response["Content-Type"] == "application/problem+json"
    assert details["field"] == field
    assert field in details["detail"]
    assert Operation.objects.count() == operations


def test_an_unknown_field_inside_a_nested_body_is_refused(till, product, shop):
    card = f.stock_card(product, shop)
    payload = {
        "initial_value": 0,
        "tender": "cash",
        "member": {"name": "Li", "mobile": "13800138000", "vip": True},
    }

    response = till.post(f"/cards/{card.number}/sale", payload, key="s1")

    assert (response.status_code, problem(response)["field"]) == (422, "vip")
    card.refresh_from_db()
    assert card.state == "in_stock"
