"""Errors are application/problem+json with a stable code; bad input never gives a 500."""

from __future__ import annotations

import pytest

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
