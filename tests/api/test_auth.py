"""Terminal keys: every endpoint refuses no key, a malformed, unknown or revoked key, with one
and the same 401 problem; a good key acts as a cashier at its store; last use is kept to
the minute without a write per request."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from membercard.core.models import Terminal
from membercard.core.terminals import note_terminal_used, revoke_terminal_key
from membercard.ledger.models import Operation
from tests import factories as f
from tests.api.conftest import ENDPOINTS, call, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(till, card):
    """Path arguments for every endpoint: a real card and a real operation of this store."""
    operation = Operation.objects.filter(card=card).first()
    return {"number": card.number, "operation": operation.pk}


def _requests(targets):
    for method, template, payload, keyed in ENDPOINTS:
        path = template.format(**targets)
        if payload is not None:
            payload = {k: (v.format(**targets) if isinstance(v, str) else v)
                       for k, v in payload.items()}  # fmt: skip
        headers = {"Idempotency-Key": f.key()} if keyed else {}
        yield method, path, payload, headers


def _assert_refused(client: Client, targets, headers_for_auth: dict) -> None:
    count = Operation.objects.count()
    for method, path, payload, headers in _requests(targets):
        response = call(client, method, path, payload, headers={**headers, **headers_for_auth})
        assert response.status_code == 401, (method, path, response.content)
        details = problem(response)
        assert details["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Operation.objects.count() == count


def test_every_endpoint_refuses_a_request_without_a_key(targets, anonymous):
    _assert_refused(anonymous, targets, {})


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer mct_0123456789ab_" + "x" * 43,  # well-formed, unknown
        "Bearer not-a-key",
        "mct_0123456789ab_" + "x" * 43,  # no scheme
    ],
)
def test_every_endpoint_refuses_a_malformed_or_unknown_key(targets, anonymous, authorization):
    _assert_refused(anonymous, targets, {"Authorization": authorization})


def test_every_endpoint_refuses_a_revoked_key(targets, till):
    revoke_terminal_key(terminal=till.terminal)
    _assert_refused(till.client, targets, {})


def test_a_key_with_a_wrong_secret_is_refused(targets, till, anonymous):
    prefix = till.terminal.key_prefix
    forged = f"mct_{prefix}_" + "A" * 43
    _assert_refused(anonymous, targets, {"Authorization": f"Bearer {forged}"})


def test_a_key_of_a_closed_store_is_refused(targets, till, shop):
    shop.is_active = False
    shop.save()
    _assert_refused(till.client, targets, {})


def test_the_key_is_shown_once_and_only_its_hash_is_kept(till):
    scheme, prefix, secret = till.key.split("_", 2)
    assert scheme == "mct"
    assert prefix == till.terminal.key_prefix
    assert len(secret) >= 43  # 32 random bytes, base64url: 256 bits
    stored = Terminal.objects.get(pk=till.terminal.pk)
    assert stored.key_hash == hashlib.sha256(till.key.encode()).hexdigest()
    assert secret not in stored.key_hash


def test_a_good_key_acts_at_its_store(till, card):
    response = till.post(f"/cards/{card.number}/purchases", {"amount": 100}, key=f.key())
    assert response.status_code == 201
    operation = Operation.objects.get(pk=response.json()["operation_id"])
    assert (operation.terminal_id, operation.location.code, operation.staff_id) == (
        till.terminal.pk,
        "S01",
        None,
    )


def test_last_use_is_kept_without_a_write_per_request(till, card):
    assert till.terminal.last_used_at is None
    till.get(f"/cards/{card.number}")
    first = Terminal.objects.get(pk=till.terminal.pk).last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        till.get(f"/cards/{card.number}")
    writes = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "core_terminal"')]
    assert writes == []
    assert Terminal.objects.get(pk=till.terminal.pk).last_used_at == first


def test_last_use_moves_on_after_a_minute(till):
    terminal = Terminal.objects.get(pk=till.terminal.pk)
    start = timezone.now()
    note_terminal_used(terminal, now=start)
    note_terminal_used(terminal, now=start + dt.timedelta(seconds=30))
    assert Terminal.objects.get(pk=terminal.pk).last_used_at == start
    later = start + dt.timedelta(seconds=61)
    note_terminal_used(terminal, now=later)
    assert Terminal.objects.get(pk=terminal.pk).last_used_at == later
