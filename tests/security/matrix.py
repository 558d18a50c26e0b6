"""The machinery of the isolation matrix (tests/security/test_isolation_matrix.py): the routes
read from Django's URL resolver and the POS API's router, the actors (each store role at the
own store S01 and at the other store S02, each HQ role, a terminal key of each store, nobody),
one shared world of objects owned by S01, S02 and HQ, a fingerprint of every business row,
and one request per actor rolled back on its own.

The matrix's table (who may use each route, and with which object) lives in the test module;
this module only knows how to find routes and how to ask.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import time_machine
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from membercard.approvals.refunds import request_refund
from membercard.approvals.services import request_adjustment
from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.models import Role
from membercard.core.terminals import create_terminal_key
from membercard.days.closing import close_day
from membercard.inventory.services.handovers import add_cards, create_handover, dispatch_handover
from membercard.inventory.services.stocktakes import start_stocktake
from membercard.loyalty.models import Campaign
from membercard.loyalty.services import link_card, register_member
from tests import factories as f
from tests.inventory.factories import order_batch
from tests.ledger.helpers import pay
from tests.loyalty.gift_helpers import new_gift, stocked
from tests.loyalty.helpers import tiered_product
from tests.web.conftest import signed_in

API_PREFIX = "/api/v1"
ADMIN_ROUTE = "admin:*"  # Django's admin site: one entry, "a non-superuser is refused"
API_CATCH_ALL = "/api/v1/^(?P<path>.*)$"  # problem+json 404 for any other API address

# Actors. Store roles and terminal keys at S01 own the world's S01 objects; their S02
# counterparts are "the other store"; HQ roles sit at HQ.
CASHIER, MANAGER = "cashier", "manager"
CASHIER2, MANAGER2 = "cashier2", "manager2"
ADMIN, FINANCE, STOCK = "admin", "finance", "stock"
TERMINAL, TERMINAL2 = "terminal", "terminal2"
ANONYMOUS = "anonymous"
STAFF_ROLES: dict[str, tuple[Role, str]] = {
    CASHIER: (Role.STORE_CASHIER, "S01"),
    MANAGER: (Role.STORE_MANAGER, "S01"),
    CASHIER2: (Role.STORE_CASHIER, "S02"),
    MANAGER2: (Role.STORE_MANAGER, "S02"),
    ADMIN: (Role.HQ_ADMIN, "HQ"),
    FINANCE: (Role.HQ_FINANCE, "HQ"),
    STOCK: (Role.HQ_STOCK, "HQ"),
}
TERMINALS = {TERMINAL: "S01", TERMINAL2: "S02"}
ACTORS = (*STAFF_ROLES, *TERMINALS, ANONYMOUS)
OTHER_STORE = frozenset({CASHIER2, MANAGER2, TERMINAL2})

# Rows a refusal may write on purpose: the audit trail (refusals are audited), the
# look-up throttle and its miss counts, sessions, Django's admin log. Everything else in
# these apps must be exactly as it was after a refused write.
WATCHED_APPS = ("core", "cards", "inventory", "ledger", "loyalty", "reports")
# Within those apps, the look-up throttle's counters and miss counts (written on a miss).
# The audit log records refused attempts too (its own tests: tests/ops/test_audit*.py,
# tests/core/test_audit_inside.py); it moved into core with the rest of the ground floor.
EXEMPT_MODELS = {"cards.lookupcounter", "cards.lookupmiss", "core.auditevent"}
# Columns a request touches without a business change (sign-in and key-use stamps).
VOLATILE = {"core.staff": {"last_login"}, "core.terminal": {"last_used_at"}}


# Routes --------------------------------------------------------------------------------


def web_routes() -> dict[str, str]:
    """Every named address Django serves -> its pattern, walked through every include.

    Named ``namespace:name`` (``start`` for the root pages); the admin site is one entry
    (its internals are Django's); the POS API's own operations are left to
    ``api_routes`` (the router knows their methods)."""
    routes: dict[str, str] = {}
    api_names = {view_name for view_name, _ in _api_operations()}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    routes[ADMIN_ROUTE] = route
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern):
                if namespace == "api-v1" and pattern.name in api_names:
                    continue
                if pattern.name is None:  # known by its pattern alone
                    routes[route] = route
                else:
                    routes[f"{namespace}:{pattern.name}" if namespace else pattern.name] = route

    walk(get_resolver().url_patterns, "", "/")
    return routes


def _api_operations() -> Iterator[tuple[str, tuple[str, str]]]:
    from membercard.api.api import api

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield operation.view_func.__name__, (method, f"{prefix}{path}")


def api_routes() -> set[str]:
    """Every path operation of the POS API as ``"METHOD /path/{param}"``."""
    return {f"{method} {path}" for _, (method, path) in _api_operations()}


# Requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """How to fill a route: URL parameters, query string, form or JSON body."""

    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    data: Any = None


@contextmanager
def rolled_back() -> Iterator[None]:
    """Everything inside is undone, even by services that insist on their own outermost
    transaction (``durable=True``): the block is marked like a test case's own atomic
    block, which is exactly what pytest-django's test transaction does."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        try:
            yield
        finally:
            transaction.set_rollback(True)


def send(client: Client, method: str, url: str, call: Call, *, api: bool):
    """One request; the client's cookies are put back afterwards, like its rows (a sign-out
    or a password change must not end the session the next request rides on)."""
    cookies = copy.deepcopy(client.cookies)
    try:
        return _send(client, method, url, call, api=api)
    finally:
        client.cookies = cookies


def _send(client: Client, method: str, url: str, call: Call, *, api: bool):
    cache.clear()  # throttles start from zero for every request
    if method == "GET":
        return client.get(url, call.query)
    if api:
        body = b"" if call.data is None else json.dumps(call.data)
        return client.generic(
            method,
            url,
            body,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    if call.query:
        url = f"{url}?{'&'.join(f'{k}={v}' for k, v in call.query.items())}"
    return client.generic(
        method,
        url,
        _urlencode(call.data or {}),
        content_type="application/x-www-form-urlencoded",
    )


def _urlencode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def api_url(path: str, kwargs: dict) -> str:
    return API_PREFIX + re.sub(r"\{(\w+)\}", lambda m: str(kwargs[m.group(1)]), path)


def web_url(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs)


_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')
_NONCE = re.compile(rb'nonce="[^"]*"')
_KEYS = re.compile(rb'name="(key|idempotency_key|once)" value="[^"]*"')


def carried(call: Call) -> set[str]:
    """The values the request itself sends (card numbers, handles): an answer may echo them."""
    data = call.data if isinstance(call.data, dict) else {}
    values = [*call.kwargs.values(), *call.query.values(), *data.values()]
    return {str(value) for value in values if len(str(value)) >= 8}


def normalised(response, call: Call) -> tuple[int, bytes]:
    """Status and body without what differs between any two requests (tokens, nonces,
    fresh idempotency keys, the request's own values echoed), for "answers exactly like a
    nonexistent one"."""
    body = response.content
    for pattern in (_CSRF, _NONCE, _KEYS):
        body = pattern.sub(b"", body)
    for value in sorted(carried(call), key=len, reverse=True):
        body = body.replace(value.encode(), b"<sent>")
    return response.status_code, body


# Rows ----------------------------------------------------------------------------------


def _watched_tables() -> list[tuple[str, str]]:
    """(model label, SELECT of its rows in key order) for every watched table."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label not in WATCHED_APPS or meta.label_lower in EXEMPT_MODELS:
            continue
        skip = VOLATILE.get(meta.label_lower, set())
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in meta.concrete_fields if f.attname not in skip)
        order = quote(meta.pk.column)
        tables.append(
            (meta.label, f"SELECT {columns} FROM {quote(meta.db_table)} ORDER BY {order}")
        )
    return tables


def fingerprint() -> dict[str, list]:
    """Every row of every business table (volatile stamps left out), by table: plain SQL,
    as it is taken around every refused write."""
    rows: dict[str, list] = {}
    with connection.cursor() as cursor:
        for label, select in _watched_tables():
            cursor.execute(select)
            rows[label] = cursor.fetchall()
    return rows


def changed_tables(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return sorted(table for table in before if before[table] != after.get(table))


# The world -----------------------------------------------------------------------------

MISSING_ID = 987_654  # an id no row of the world has


def _unused_number(product) -> str:
    from membercard.cards import numbers

    while True:
        number = numbers.generate_number(product.number_prefix, product.number_length)
        if not Card.objects.filter(number=number).exists():
            return number


def build_world() -> SimpleNamespace:
    """S01's, S02's and HQ's objects, the signed-in clients and the terminal keys.

    Objects the routes name belong to S01 (or HQ): asked for by an S02 actor they must
    answer like objects that do not exist."""
    w = SimpleNamespace()
    w.hq, w.s01, w.s02 = f.hq(), f.store("S01"), f.store("S02")
    w.clients: dict[str, Client] = {}
    w.actors = {}
    for name, (role, code) in STAFF_ROLES.items():
        location = w.hq if code == "HQ" else f.store(code)
        client = signed_in(role, location)
        w.clients[name] = client
        w.actors[name] = Actor.for_staff(client.staff)
    for name, code in TERMINALS.items():
        _, key = create_terminal_key(store_code=code, name=f"till-{name}")
        w.clients[name] = Client(headers={"Authorization": f"Bearer {key}"})
    w.clients[ANONYMOUS] = Client()
    a = w.actors

    # A product with everything on (value, discount, points, tiers, store top-ups).
    w.product = tiered_product(stores_may_top_up=True, points_per_unit=1)
    w.tier = w.product.tiers.order_by("rank").first()
    w.missing_number = _unused_number(w.product)

    # A past day at S01, sold on and closed by its manager (its Z report exists).
    w.closed_day = today() - dt.timedelta(days=3)
    with time_machine.travel(dt.datetime.combine(w.closed_day, dt.time(12)), tick=False):
        f.sold_card(a[CASHIER], w.product, 5_000)
        close_day(actor=a[MANAGER], counted={}, comment="matrix", business_date=w.closed_day)

    # Cards: on each shelf, in a customer's hands (sold at S01, member registered at S02).
    w.s01_shelf = [f.stock_card(w.product, w.s01) for _ in range(2)]
    w.s02_shelf = [f.stock_card(w.product, w.s02) for _ in range(2)]
    w.hq_shelf = [f.stock_card(w.product, w.hq) for _ in range(2)]
    w.active = f.sold_card(a[CASHIER], w.product, 10_000)
    w.purchase = pay(a[CASHIER], w.active, 1_000)
    w.member = register_member(actor=a[CASHIER2], name="Matrix Member", mobile="13900001234")

    # Documents: S01's open stocktake; HQ -> S01 dispatched; S01 -> HQ draft.
    w.stocktake = start_stocktake(actor=a[MANAGER], note="matrix")
    w.in_transit = in_transit = [f.stock_card(w.product, w.hq) for _ in range(2)]
    w.handover_in = create_handover(actor=a[STOCK], to_location=w.s01, note="matrix")
    add_cards(actor=a[STOCK], handover_id=w.handover_in.pk, numbers=[c.number for c in in_transit])
    dispatch_handover(actor=a[STOCK], handover_id=w.handover_in.pk)
    w.handover_line = w.handover_in.lines.order_by("pk").first()
    w.s01_draft_card = f.stock_card(w.product, w.s01)
    w.handover_out = create_handover(actor=a[MANAGER], to_location=w.hq, note="matrix")
    add_cards(actor=a[MANAGER], handover_id=w.handover_out.pk, numbers=[w.s01_draft_card.number])

    # HQ's things.
    # Ordered by another stock keeper: the matrix's keeper may receive it (four eyes).
    w.batch = order_batch(Actor.for_staff(f.staff(Role.HQ_STOCK, w.hq)), w.product, 3)
    w.campaign = Campaign.objects.create(
        name="Matrix", multiplier_pct=200, starts_on=today(), ends_on=today()
    )
    w.gift = stocked(new_gift("MUG-01", 10), {w.s01: 5, w.s02: 5, w.hq: 5})
    w.victim_staff = f.staff(Role.STORE_CASHIER, w.s01)
    w.victim_terminal, _ = create_terminal_key(store_code="S01", name="till-victim")

    link_card(actor=a[CASHIER], card_number=w.active.number, member_id=w.member.pk)
    # A pending adjustment request, by a finance person of its own (the matrix's may decide).
    w.approval = request_adjustment(
        actor=f.actor(Role.HQ_FINANCE),
        card_number=w.active.number,
        bucket="principal",
        delta=100,
        reason="matrix",
        idempotency_key="matrix-approval",
    )
    # A pending refund request at S01 (above a threshold lowered for it): its managers decide.
    with override_settings(MEMBERCARD_COUNTER_REFUND_LIMIT=500):
        w.refund_request = request_refund(
            actor=a[CASHIER],
            operation_id=w.purchase.pk,
            amount_minor=600,
            idempotency_key="matrix-refund-request",
        )
    w.s01_documents = {
        w.handover_in.document_number,
        w.handover_out.document_number,
        w.purchase.receipt_number,
    }

    # Numbers no store actor may ever see in an answer: other locations' shelf stock.
    w.shelf = {
        "S01": {c.number for c in [*w.s01_shelf, w.s01_draft_card]},
        "S02": {c.number for c in w.s02_shelf},
        "HQ": {c.number for c in w.hq_shelf},
    }
    assert Card.objects.filter(number__in=w.shelf["HQ"], state=CardState.IN_STOCK).count() == 2
    return w


def forbidden(w: SimpleNamespace, actor: str) -> dict[str, str]:
    """Text no answer to ``actor`` may hold, and why: other locations' shelf stock (for
    nobody, every shelf); for the other store, S01's documents; for stores and terminals, a
    member's full mobile number (DESIGN.md: members' mobiles are masked at stores)."""
    if actor in (ADMIN, FINANCE, STOCK):
        return {}
    if actor == ANONYMOUS:
        return {n: "shelf stock" for numbers in w.shelf.values() for n in numbers}
    own = "S02" if actor in OTHER_STORE else "S01"
    secrets = {
        n: f"{code}'s shelf stock" for code, ns in w.shelf.items() if code != own for n in ns
    }
    if actor in OTHER_STORE:
        secrets.update({document: "S01's document or receipt" for document in w.s01_documents})
    secrets[w.member.mobile] = "a member's full mobile"
    return secrets
