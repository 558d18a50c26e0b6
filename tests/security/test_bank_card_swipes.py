"""The 1,000-swipe test (issue #13, reproduction 3): bank cards swiped into every input that
takes a card or free text leave no trace anywhere.

A counter's card reader is a keyboard: whatever has the focus gets the swipe. 1,000 synthetic
bank cards (Luhn-valid Visa, Mastercard 51-55 and 2221-2720, UnionPay, Amex, JCB), each as
Track 1, Track 2 or a bare number, are typed round-robin into the sign-in usernames, the
counter's card field, HQ search boxes, card paths of the pages and the API, member names and
mobiles, free-text reasons and notes, and the handover and stocktake scan fields. Then the
whole database (every table and column, as text), everything any logger wrote through the
production logging configuration, and every file in the data folder are searched: no full
card number (hence no track) may appear. The run commits for real (a transactional test),
so the SQLite file in the data folder holds whatever the requests stored.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from membercard.cards.numbers import luhn_check_digit
from membercard.core.models import Role
from membercard.core.terminals import create_terminal_key
from membercard.inventory.services.handovers import create_handover
from membercard.inventory.services.stocktakes import start_stocktake
from membercard.loyalty.services.members import register_member
from tests import factories as f
from tests.security.test_redaction import production_logs  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SWIPES = 1_000
# (leading digits, length) of every brand and length swiped: Visa, Mastercard 51-55 and
# 2221-2720, UnionPay, Amex, JCB. Each input gets every one in every form (12 x 3 = 36).
KINDS: list[tuple[Callable[[random.Random], str], int]] = [
    (lambda rng: "4", 13),
    (lambda rng: "4", 16),
    (lambda rng: "4", 19),
    (lambda rng: str(rng.randint(51, 55)), 16),
    (lambda rng: str(rng.randint(2221, 2720)), 16),
    (lambda rng: "62", 16),
    (lambda rng: "62", 17),
    (lambda rng: "62", 19),
    (lambda rng: "34", 15),
    (lambda rng: "37", 15),
    (lambda rng: str(rng.randint(3528, 3589)), 16),
    (lambda rng: str(rng.randint(3528, 3589)), 19),
]
FORMS = 3


def bank_card_number(rng: random.Random, kind: int) -> str:
    """A Luhn-valid number of ``KINDS[kind]`` with random digits."""
    leading, length = KINDS[kind]
    prefix = leading(rng)
    payload = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return payload + luhn_check_digit(payload)


def swipe_text(rng: random.Random, pan: str, form: int) -> str:
    expiry = f"{rng.randint(26, 35)}{rng.randint(1, 12):02d}"
    service = rng.choice(("101", "201", "121"))
    discretionary = "".join(rng.choice("0123456789") for _ in range(rng.randint(8, 13)))
    return (
        f"%B{pan}^DOE/JOHN^{expiry}{service}{discretionary}?",  # Track 1
        f";{pan}={expiry}{service}{discretionary}?",  # Track 2
        pan,  # a bare number (a reader set to send the number only, or typed)
    )[form]


# The shop the swipes land in ----------------------------------------------------------------


def signed_in(role: Role, location=None) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(f.staff(role, location))
    return client


@dataclass
class Shop:
    s01: object
    cashier: Client
    manager: Client
    admin: Client
    finance: Client
    keeper: Client
    anonymous: Client
    api: Client
    member_id: int
    product: object
    sold: list = field(default_factory=list)
    handover_id: int = 0
    stocktake_id: int = 0
    sold_at: int = 0

    def next_sold(self):
        self.sold_at += 1
        return self.sold[self.sold_at % len(self.sold)]

    def card_for_sale(self):
        """A new card in stock at S01 (a sale with a member uses one up)."""
        return f.stock_card(self.product, self.s01)


@pytest.fixture
def shop(settings) -> Shop:
    # The look-up throttles would refuse most swipes before they reach the field under test.
    settings.MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = 100_000
    settings.MEMBERCARD_API_THROTTLE_PER_KEY = 100_000
    settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS = 100_000
    hq, s01 = f.hq(), f.store("S01")
    f.store("S02")
    product = f.product(stores_may_top_up=True)
    seller = f.actor(Role.STORE_CASHIER, s01)
    sold = [f.sold_card(seller, product, value_minor=5_000) for _ in range(4)]
    member = register_member(actor=seller, name="Li Na", mobile="13800138000")
    _, key = create_terminal_key(store_code="S01", name="till-1")
    keeper = f.actor(Role.HQ_STOCK, hq)
    manager = f.actor(Role.STORE_MANAGER, s01)
    return Shop(
        s01=s01,
        cashier=signed_in(Role.STORE_CASHIER, s01),
        manager=signed_in(Role.STORE_MANAGER, s01),
        admin=signed_in(Role.HQ_ADMIN),
        finance=signed_in(Role.HQ_FINANCE),
        keeper=signed_in(Role.HQ_STOCK),
        anonymous=Client(REMOTE_ADDR="203.0.113.9"),
        api=Client(headers={"Authorization": f"Bearer {key}"}),
        member_id=member.pk,
        product=product,
        sold=sold,
        handover_id=create_handover(actor=keeper, to_location=s01).pk,
        stocktake_id=start_stocktake(actor=manager).pk,
    )


def _quoted(text: str) -> str:
    return quote(text, safe="")


def _post_card(client: Client, path: str, data: dict):
    """The counter's card field is posted (htmx); a page still taking it by GET answers 405
    to the POST, so the swipe is sent the old way too."""
    response = client.post(path, data, HTTP_HX_REQUEST="true")
    if response.status_code == 405:
        response = client.get(path, data, HTTP_HX_REQUEST="true")
    return response


def _sell(shop: Shop, **fields):
    data = {
        "card": "" if "card" in fields else shop.card_for_sale().number,
        "initial_value": "10.00",
        "tender": "cash",
        "member_name": "",
        "member_mobile": "",
        "idempotency_key": uuid.uuid4().hex,
        **fields,
    }
    return shop.cashier.post("/counter/sell/", data)


def _freeze_and_unfreeze(shop: Shop, swipe: str):
    number = shop.next_sold().number
    shop.finance.post(f"/hq/cards/{number}/freeze/", {"reason": swipe})
    return shop.finance.post(f"/hq/cards/{number}/freeze/", {"reason": "", "action": "unfreeze"})


def _counter_freeze(shop: Shop, swipe: str):
    number = shop.next_sold().number
    response = shop.cashier.post(
        f"/counter/freeze/?card={number}", {"card": number, "reason": swipe}
    )
    shop.finance.post(f"/hq/cards/{number}/freeze/", {"reason": "", "action": "unfreeze"})
    return response


def _api(shop: Shop, method: str, path: str, body: dict | None = None):
    if method == "GET":
        return shop.api.get(f"/api/v1{path}")
    return shop.api.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


# Every input that takes a card or free text; each takes (shop, swipe) and sends one request.
INPUTS: dict[str, Callable[[Shop, str], object]] = {
    "web sign-in username": lambda s, x: s.anonymous.post(
        "/login/", {"username": x, "password": "not-the-password-1"}
    ),
    "admin sign-in username": lambda s, x: s.anonymous.post(
        "/admin/login/", {"username": x, "password": "not-the-password-1"}
    ),
    "counter card field": lambda s, x: _post_card(s.cashier, "/counter/card/", {"card": x}),
    "counter sell: card scan": lambda s, x: _sell(s, card=x),
    "HQ card search": lambda s, x: s.admin.get("/hq/cards/", {"q": x}),
    "HQ member search": lambda s, x: s.finance.get("/hq/members/", {"q": x}),
    "HQ audit search": lambda s, x: s.admin.get("/hq/audit/", {"text": x, "username": x}),
    "HQ batch search": lambda s, x: s.keeper.get("/hq/batches/", {"q": x}),
    "handover list search": lambda s, x: s.keeper.get("/stock/handovers/", {"q": x}),
    "HQ card page path": lambda s, x: s.admin.get(f"/hq/cards/{_quoted(x)}/"),
    "handover: scanned numbers": lambda s, x: s.keeper.post(
        f"/stock/handovers/{s.handover_id}/add/", {"add-numbers": x, "add-ranges": ""}
    ),
    "stocktake: scanned numbers": lambda s, x: s.manager.post(
        f"/stock/stocktakes/{s.stocktake_id}/count/", {"numbers": x, "ranges": ""}
    ),
    "API card path": lambda s, x: _api(s, "GET", f"/cards/{_quoted(x)}"),
    "API card operations path": lambda s, x: _api(s, "GET", f"/cards/{_quoted(x)}/operations"),
    "API card look-up": lambda s, x: _api(s, "POST", "/cards/lookup", {"input": x}),
}

# Free text that a service stores as typed: a swipe there is refused before the service sees
# it (the one guard: membercard.web.middleware_input.RefuseBankCardMiddleware).
FREE_TEXT: dict[str, Callable[[Shop, str], object]] = {
    "counter sell: member name": lambda s, x: _sell(s, member_name=x, member_mobile="13900139000"),
    "counter sell: member mobile": lambda s, x: _sell(s, member_name="Wang Wei", member_mobile=x),
    "counter freeze: reason": _counter_freeze,
    "HQ member edit: name": lambda s, x: s.finance.post(
        f"/hq/members/{s.member_id}/edit/", {"name": x, "mobile": "13800138000"}
    ),
    "HQ member edit: mobile": lambda s, x: s.finance.post(
        f"/hq/members/{s.member_id}/edit/", {"name": "Li Na", "mobile": x}
    ),
    "HQ freeze: reason": _freeze_and_unfreeze,
    "HQ adjustment: reason": lambda s, x: s.finance.post(
        f"/hq/cards/{s.next_sold().number}/adjust/",
        {"bucket": "points", "amount": "1", "reason": x, "idempotency_key": uuid.uuid4().hex},
    ),
    "handover: note": lambda s, x: s.keeper.post(
        "/stock/handovers/new/", {"to_location": s.s01.pk, "note": x, "once": uuid.uuid4().hex}
    ),
}


# Searching for traces -------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d(?:[ +\-]?\d)+")


def traces(text: str, pans: set[str]) -> set[str]:
    """The card numbers of ``pans`` that appear in ``text``, whole: as digits, also split by
    spaces, dashes or the "+" of a URL. A track holds its number, so this finds tracks too."""
    found = set()
    for run in _DIGIT_RUN.findall(text):
        digits = re.sub(r"\D", "", run)
        for length in range(12, min(19, len(digits)) + 1):
            for start in range(len(digits) - length + 1):
                if digits[start : start + length] in pans:
                    found.add(digits[start : start + length])
    return found


def database_as_text() -> dict[str, str]:
    """Every row of every table, every column, as text (by table)."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts = []
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
            tables[f"table {table}"] = "\n".join(parts)
    return tables


def data_folder_as_text() -> dict[Path, str]:
    return {
        path: path.read_bytes().decode("latin-1")
        for path in Path(settings.DATA_DIR).rglob("*")
        if path.is_file()
    }


@dataclass
class Run:
    seed: int
    typed_into: dict[str, str] = field(default_factory=dict)  # card number -> input
    statuses: dict[str, set[int]] = field(default_factory=dict)


def swipe_into(shop: Shop, inputs: dict[str, Callable], count: int) -> Run:
    """``count`` swipes, round-robin over ``inputs``, each input getting Track 1, Track 2
    and bare numbers in turn."""
    run = Run(seed=secrets.randbits(32))  # a fresh set each run: old runs' pages cannot match
    rng = random.Random(run.seed)
    names = list(inputs)
    for index in range(count):
        name = names[index % len(names)]
        visit = index // len(names)  # this input's n-th swipe: every kind in every form
        pan = bank_card_number(rng, visit % len(KINDS))
        run.typed_into[pan] = name
        text = swipe_text(rng, pan, visit // len(KINDS) % FORMS)
        response = inputs[name](shop, text)
        run.statuses.setdefault(name, set()).add(response.status_code)
        # An API answer or an error page never echoes the card back either (a form shown
        # again with what was typed, 200/422, is the one place the swipe is on screen).
        if name.startswith("API") or response.status_code not in {200, 302, 422}:
            body = response.content.decode("utf-8", "replace")
            assert not traces(body, {pan}), (name, response.status_code, run.seed)
    return run


def kept_anywhere(run: Run, logs: str) -> dict[str, list[str]]:
    """Where card numbers of ``run`` were found -> the inputs they were typed into."""
    pans = set(run.typed_into)
    found = {
        **{table: traces(text, pans) for table, text in database_as_text().items()},
        "logs": traces(logs, pans),
        **{str(path): traces(text, pans) for path, text in data_folder_as_text().items()},
    }
    return {
        where: sorted({run.typed_into[number] for number in numbers})
        for where, numbers in found.items()
        if numbers
    }


def test_a_thousand_bank_card_swipes_leave_no_trace(shop, production_logs):  # noqa: F811
    run = swipe_into(shop, INPUTS, SWIPES)

    assert len(run.typed_into) > SWIPES - 10
    assert set(run.statuses) == set(INPUTS)
    assert SWIPES // len(INPUTS) >= len(KINDS) * FORMS  # every input got every kind and form
    assert all(code < 500 for codes in run.statuses.values() for code in codes), run.statuses
    assert production_logs.getvalue(), "the requests were logged (404s, 422s, failed sign-ins)"
    leaks = kept_anywhere(run, production_logs.getvalue())
    assert not leaks, f"bank-card numbers kept (seed {run.seed}): {leaks}"


@pytest.mark.parametrize("name", list(FREE_TEXT))
def test_bank_cards_swiped_into_free_text_are_not_kept(shop, production_logs, name):  # noqa: F811
    run = swipe_into(shop, {name: FREE_TEXT[name]}, len(KINDS) * FORMS)

    assert all(code < 500 for codes in run.statuses.values() for code in codes), run.statuses
    leaks = kept_anywhere(run, production_logs.getvalue())
    assert not leaks, f"bank-card numbers kept (seed {run.seed}): {leaks}"
