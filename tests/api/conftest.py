"""Fixtures for the API tests: stores, terminal keys, an authenticated client, cards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from membercard.core.models import Role
from membercard.core.terminals import create_terminal_key
from tests import factories as f

API = "/api/v1"


@dataclass
class Till:
    """A terminal with its key and a test client that sends the key."""

    key: str
    terminal: object
    client: Client

    def get(self, path: str, **kwargs):
        return self.client.get(f"{API}{path}", **kwargs)

    def post(self, path: str, body: object = None, *, key: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Idempotency-Key"] = key
        data = b"" if body is None else json.dumps(body)
        return self.client.post(
            f"{API}{path}", data=data, content_type="application/json", headers=headers, **kwargs
        )


def make_till(store_code: str = "S01", name: str = "till-1") -> Till:
    f.hq()
    f.store(store_code)
    terminal, key = create_terminal_key(store_code=store_code, name=name)
    return Till(
        key=key, terminal=terminal, client=Client(headers={"Authorization": f"Bearer {key}"})
    )


@pytest.fixture(scope="session", autouse=True)
def _static_root(django_db_setup):
    """WhiteNoise warns on each new client when the static folder is missing."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def shop():
    f.hq()
    return f.store("S01")


@pytest.fixture
def other_shop():
    f.hq()
    return f.store("S02")


@pytest.fixture
def till(shop) -> Till:
    return make_till("S01", "till-1")


@pytest.fixture
def other_till(other_shop) -> Till:
    return make_till("S02", "till-9")


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def cashier_s01(shop):
    return f.actor(Role.STORE_CASHIER, shop)


@pytest.fixture
def product():
    return f.product(has_discount=True, discount_rate_bp=500, has_points=True, points_per_unit=1)


@pytest.fixture
def card(cashier_s01, product):
    """An active card sold at S01 with 100.00 on it (5 % discount, 1 point per unit)."""
    return f.sold_card(cashier_s01, product, 10_000)


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json", response.content
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["status"] == response.status_code
    return body


def unused_number(product_) -> str:
    """A well-formed number (right prefix, check digit) that no card has."""
    from membercard.cards import numbers
    from membercard.cards.models import Card

    while True:
        number = numbers.generate_number(product_.number_prefix, product_.number_length)
        if not Card.objects.filter(number=number).exists():
            return number


def mistyped(number: str) -> str:
    """The number with its check digit wrong."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def body(response) -> dict:
    return json.loads(response.content)


# Every endpoint, as (method, path template, JSON body, needs an Idempotency-Key).
ENDPOINTS = [
    ("post", "/cards/lookup", {"input": "{number}"}, False),
    ("get", "/cards/{number}", None, False),
    ("get", "/cards/{number}/operations", None, False),
    ("post", "/cards/{number}/sale", {"initial_value": 1000, "tender": "cash"}, True),
    ("post", "/cards/{number}/top-ups", {"amount": 1000, "tender": "cash"}, True),
    ("post", "/cards/{number}/purchases", {"amount": 100}, True),
    ("post", "/cards/{number}/gift-redemptions", {"gift": "MUG-01", "quantity": 1}, True),
    ("post", "/operations/{operation}/refunds", {"amount": 10}, True),
    ("post", "/operations/{operation}/reversal", None, True),
    ("get", "/operations/{operation}", None, False),
    ("get", "/stock", None, False),
    ("get", "/gifts", None, False),
]


def call(client: Client, method: str, path: str, payload=None, *, headers=None):
    """Call ``client`` like a till would (JSON body)."""
    if method == "get":
        return client.get(f"{API}{path}", headers=headers or {})
    data = b"" if payload is None else json.dumps(payload)
    return client.post(
        f"{API}{path}", data=data, content_type="application/json", headers=headers or {}
    )


def run_threads(count: int, work):
    """``work(0..count-1)`` on ``count`` threads released together by a barrier; results in
    order. Each thread closes its own database connection."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    barrier = threading.Barrier(count, timeout=60)

    def run(index: int):
        try:
            barrier.wait()
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result(timeout=120) for future in futures]
