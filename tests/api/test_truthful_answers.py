"""Answers that tell the truth (issue #14): a money answer is built inside the operation's
transaction, so a committed operation never gets a failure answer; a failure once the
service was called, or a database that is away, answers 503 with ``Retry-After`` and
``outcome_unknown`` (reads: ``service_unavailable``), and the same request with the same key
then answers the operation; whether a request replayed comes from the service."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError, connection, connections

from membercard.api import render
from membercard.api.endpoints import _money, money
from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import API, body, problem
from tests.ledger.helpers import unchanged

pytestmark = pytest.mark.django_db


def _purchase(till, card, key="k1", amount=1_000):
    return till.post(f"/cards/{card.number}/purchases", {"amount": amount}, key=key)


def _outcome_unknown(response) -> dict:
    details = problem(response)
    assert (response.status_code, details["code"]) == (503, "outcome_unknown")
    assert int(response["Retry-After"]) > 0
    assert details["retry_after"] == int(response["Retry-After"])
    return details


def _purchases(card) -> int:
    return Operation.objects.filter(card=card, kind="purchase").count()


# The replay flag comes from the service ---------------------------------------------------


def test_a_replay_is_told_without_watching_the_sql(till, card, monkeypatch):
    def no_watching(*args, **kwargs):
        raise AssertionError("the API watched the SQL")

    monkeypatch.setattr(type(connections["default"]), "execute_wrapper", no_watching)
    first = _purchase(till, card)
    again = _purchase(till, card)
    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


# Rendering fails inside the transaction: nothing is made -------------------------------


@pytest.mark.parametrize("failure", [RuntimeError("bug"), OperationalError("connection lost")])
def test_an_answer_that_cannot_be_built_rolls_the_operation_back(till, card, monkeypatch, failure):
    def broken(operation):
        raise failure

    with monkeypatch.context() as patch:
        patch.setattr(render, "card_balances_after", broken)
        with unchanged(card):
            _outcome_unknown(_purchase(till, card, key="k1"))
    assert _purchases(card) == 0
    # The till retries the same request with the same key: made now, once.
    retried = _purchase(till, card, key="k1")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert _purchases(card) == 1
    assert f.balances(card)[0] == 10_000 - 950


def test_the_answer_is_built_inside_the_operations_transaction(till, card, monkeypatch):
    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths = []
    real = render.with_related

    def spy(operation):
        depths.append(len(connection.atomic_blocks))
        return real(operation)

    monkeypatch.setattr(render, "with_related", spy)
    assert _purchase(till, card).status_code == 201
    assert len(depths) == 1 and depths[0] > outside


# A failure after the commit: 503 outcome_unknown, and the replay answers ---------------


MONEY_REQUESTS = [
    ("purchase", lambda card, bought: (f"/cards/{card.number}/purchases", {"amount": 500})),
    (
        "top-up",
        lambda card, bought: (f"/cards/{card.number}/top-ups", {"amount": 500, "tender": "cash"}),
    ),
    ("refund", lambda card, bought: (f"/operations/{bought}/refunds", {"amount": 100})),
    ("reversal", lambda card, bought: (f"/operations/{bought}/reversal", None)),
]


@pytest.mark.parametrize(
    ("name", "request_for"), MONEY_REQUESTS, ids=[n for n, _ in MONEY_REQUESTS]
)
def test_a_committed_operation_whose_answer_fails_later_is_replayed(
    till, cashier_s01, monkeypatch, name, request_for
):
    card = f.sold_card(cashier_s01, f.product(stores_may_top_up=True), 10_000)
    bought = body(_purchase(till, card, key="buy", amount=2_000))["operation_id"]
    path, payload = request_for(card, bought)
    count = Operation.objects.count()

    def lost(self, operation):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(_money.MoneyAnswer, "response", lost)
        _outcome_unknown(till.post(path, payload, key="k"))
    assert Operation.objects.count() == count + 1  # it was made
    made = Operation.objects.latest("pk")

    again = till.post(path, payload, key="k")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert body(again)["operation_id"] == made.pk
    assert Operation.objects.count() == count + 1


def test_an_unexpected_error_after_the_service_is_not_a_500(till, card, monkeypatch):
    real = money.purchase

    def then_fails(**kwargs):
        real(**kwargs)
        raise KeyError("something after the commit")

    with monkeypatch.context() as patch:
        patch.setattr(money, "purchase", then_fails)
        _outcome_unknown(_purchase(till, card))
    again = _purchase(till, card)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert _purchases(card) == 1


def test_a_refusal_is_still_a_refusal(till, card):
    with unchanged(card):
        response = _purchase(till, card, amount=50_000)
    assert (response.status_code, problem(response)["code"]) == (422, "insufficient_balance")


def test_an_unexpected_error_on_a_read_is_still_a_500(till, card, monkeypatch):
    def broken(summary):
        raise KeyError("bug")

    monkeypatch.setattr(render, "card_out", broken)
    response = till.get(f"/cards/{card.number}")
    assert (response.status_code, problem(response)["code"]) == (500, "server_error")


# The database away -----------------------------------------------------------------------


@pytest.fixture
def database_away(monkeypatch):
    """Every new query fails as if the database could not be reached."""

    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    def go_away():
        monkeypatch.setattr(connections["default"], "ensure_connection", unreachable)

    yield go_away
    monkeypatch.undo()


def test_an_unreachable_database_answers_503_to_a_read(till, card, database_away):
    till.client.raise_request_exception = False
    database_away()
    response = till.get(f"/cards/{card.number}")
    details = problem(response)
    assert (response.status_code, details["code"]) == (503, "service_unavailable")
    assert int(response["Retry-After"]) > 0


def test_an_unreachable_database_answers_outcome_unknown_to_a_money_request(
    till, card, database_away
):
    till.client.raise_request_exception = False
    database_away()
    _outcome_unknown(_purchase(till, card))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_closed_database_port_answers_503(till, card, monkeypatch):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # nothing listens once the socket is closed
    connection.close()
    till.client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        patch.setitem(connection.settings_dict, "PORT", str(port))
        read = till.get(f"/cards/{card.number}")
        paid = _purchase(till, card)
        connection.close()
    assert (read.status_code, problem(read)["code"]) == (503, "service_unavailable")
    _outcome_unknown(paid)
    assert _purchases(card) == 0
    assert _purchase(till, card).status_code == 201


# The documentation -----------------------------------------------------------------------


def test_the_openapi_document_says_what_a_till_does_on_503(anonymous):
    document = body(anonymous.get(f"{API}/openapi.json"))
    assert "same `Idempotency-Key`" in document["info"]["description"]
    purchase = document["paths"]["/api/v1/cards/{number}/purchases"]["post"]["responses"]["503"]
    (media,) = purchase["content"].values()
    assert media["example"]["code"] == "outcome_unknown"
    assert "Retry-After" in purchase["headers"]
    read = document["paths"]["/api/v1/cards/{number}"]["get"]["responses"]["503"]
    (media,) = read["content"].values()
    assert media["example"]["code"] == "service_unavailable"
