"""The isolation matrix: every route Django serves and every operation of the POS API, asked
by every actor (S01's cashier and manager, S02's cashier and manager, each HQ role, S01's and
S02's terminal key, nobody) with every method it takes.

The routes are read from the URL resolver and the API's router (``tests/security/matrix.py``);
``ROUTES`` below says, by hand, who may use each and with which object. A route missing from
``ROUTES`` fails ``test_every_route_has_an_entry``. For each route and actor the answer must be:

* allowed: not refused (no 401, 403, 404 or 405, no server error, no sign-in redirect);
* refused by role: 403 (staff pages), 401 (the API without a terminal key), the sign-in page
  (a staff page without a session, a terminal key included);
* an object of the other store: exactly the answer (status and page, tokens aside) the same
  actor gets for an object that does not exist (DESIGN.md: a number outside the caller's
  scope answers like a nonexistent one).

A refused write (POST, PUT, PATCH, DELETE) leaves every row of the business tables as it was
(audit rows, throttle counters and sessions aside: refusals are audited and counted). No
answer to a store actor or a terminal shows a card number on another location's shelf, the
other store's documents or receipts, or a member's full mobile (``matrix.forbidden``).

Probes: where S01's own staff or key name a card (the counter's look-up and sale, the API's
look-up, S01's stocktake and handovers), a card on HQ's or S02's shelf, or on its way to S01,
answers exactly like a number of no card, as a single number and as a one-card range.

The objects belong to S01 (or HQ); S02's actors play "the other store". One world is built
per module; each request runs in its own rolled-back transaction, so actors never see each
other's writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction

from membercard.cards.models import Card
from membercard.web.views.counter import card_ref
from tests.security import matrix as m
from tests.security.matrix import (
    ADMIN,
    ANONYMOUS,
    CASHIER,
    CASHIER2,
    FINANCE,
    MANAGER,
    MANAGER2,
    MISSING_ID,
    STOCK,
    TERMINAL,
    TERMINAL2,
    Call,
)

# What an actor must get.
ALLOW = "allowed"
DENY = "403"
LOGIN = "sign-in page"
UNAUTHENTICATED = "401"
HIDDEN = "like a nonexistent object"
NOT_FOUND = "404"  # routes that only ever answer 404 (the API's catch-all)
ADMIN_LOGIN = "admin sign-in page"
REFUSED = "refused (4xx)"  # the service refuses, however it words it
REFUSALS = (401, 403, 404, 405)
# Refusals that come before the route looks at its object (sign-in, role, key).
BEFORE_ANY_OBJECT = (DENY, LOGIN, UNAUTHENTICATED)

# Who, in the merchant's words (DESIGN.md "Who uses it").
STAFF = frozenset({CASHIER, MANAGER, CASHIER2, MANAGER2, ADMIN, FINANCE, STOCK})
COUNTER = frozenset({CASHIER, MANAGER, CASHIER2, MANAGER2})
MANAGERS = frozenset({MANAGER, MANAGER2})
HQ = frozenset({ADMIN, FINANCE, STOCK})
ADMIN_ONLY = frozenset({ADMIN})
MONEY = frozenset({ADMIN, FINANCE})
SERVING = COUNTER | MONEY  # a counter: a store's, or HQ's (HQ admin and finance)
STOCK_KEEPERS = frozenset({ADMIN, STOCK})
STOCK_AND_MANAGERS = STOCK_KEEPERS | MANAGERS
NOBODY: frozenset[str] = frozenset()

# A store's operation at HQ's counter: not HQ's (it answers like an operation of no one).
NOT_HQS = {ADMIN: HIDDEN, FINANCE: HIDDEN}
# HQ's request (an adjustment) answers a store manager like a nonexistent one.
HQ_REQUEST = {MANAGER: HIDDEN, MANAGER2: HIDDEN}
# Its page: store staff see their own requests (a cashier) or their store's (a manager).
HQ_REQUEST_PAGE = {**HQ_REQUEST, CASHIER: HIDDEN, CASHIER2: HIDDEN}

W = SimpleNamespace
Filler = Callable[[W], Call]
KEY = "matrix-0001"  # one idempotency key: every request is rolled back


@dataclass(frozen=True)
class Entry:
    """Who may use a route, and how to fill it.

    ``target`` names an object of S01 (or HQ); ``missing`` the same request naming an object
    that does not exist. An other-store actor allowed by role gets ``other`` for the target
    (``HIDDEN`` unless the object is chain-wide, like a card in a customer's hands).
    ``overrides`` pins an actor's answer where the service, not the role, decides."""

    allowed: frozenset[str]
    methods: tuple[str, ...] = ("GET",)
    target: Filler | None = None
    missing: Filler | None = None
    other: str = HIDDEN
    overrides: dict[str, str] = field(default_factory=dict)
    public: bool = False
    label: str = ""
    probes: tuple[Probe, ...] = ()


@dataclass(frozen=True)
class Probe:
    """The own store's actor names its own object with another location's card (``foreign``)
    and with a number of no card (``missing``): the two answers must be the same."""

    label: str
    foreign: Filler
    missing: Filler


def entry(allowed, *methods: str, **options) -> Entry:
    return Entry(frozenset(allowed), tuple(methods) or ("GET",), **options)


def public(*methods: str, **options) -> Entry:
    return Entry(NOBODY, tuple(methods) or ("GET",), public=True, **options)


def everyone_gets(answer: str, *methods: str, **options) -> Entry:
    overrides = {actor: answer for actor in m.ACTORS}
    return Entry(NOBODY, tuple(methods) or ("GET",), overrides=overrides, **options)


# Fillers: the S01 (or HQ) object and its nonexistent twin.
def card_field(get: Callable[[W], Card], data: dict) -> Filler:
    """The card ``get`` names: by its signed handle in the link that opens a counter page
    (``?ref=``, GET), by number in the form's body (POST)."""
    return lambda w: Call(query={"ref": card_ref(get(w))}, data={"card": get(w).number, **data})


def shelf(**data) -> tuple[Filler, Filler]:
    """A card on S01's shelf, and a card that does not exist."""
    return (
        card_field(lambda w: w.s01_shelf[0], data),
        card_field(lambda w: Card(pk=MISSING_ID, number=w.missing_number), data),
    )


def card_samples(allowed, *methods: str, **data) -> tuple[Entry, ...]:
    """A counter page about the card in the ``card`` field: S01's shelf card is S01's only;
    a card sold at S01, in the customer's hands, is served at every store."""
    on_shelf, missing = shelf(**data)
    in_hands = card_field(lambda w: w.active, data)
    return (
        entry(allowed, *methods, target=on_shelf, missing=missing, label="shelf"),
        entry(allowed, *methods, target=in_hands, missing=missing, other=ALLOW, label="active"),
    )


def operation(**data) -> tuple[Filler, Filler]:
    """S01's purchase named by the ``operation`` field."""
    return (
        lambda w: Call(
            query={"operation": w.purchase.pk}, data={"operation": w.purchase.pk, **data}
        ),
        lambda w: Call(query={"operation": MISSING_ID}, data={"operation": MISSING_ID, **data}),
    )


def recovered_card(**data) -> tuple[Filler, Filler]:
    """A card of S01 named by its id on the recovered-cards page, and an id of no card."""
    return (
        lambda w: Call(data={"card": w.s01_shelf[0].pk, **data}),
        lambda w: Call(data={"card": MISSING_ID, **data}),
    )


def kwargs(**fill: Callable[[W], object]) -> Filler:
    return lambda w: Call(kwargs={name: get(w) for name, get in fill.items()})


def with_data(filler: Filler, data: dict | Callable[[W], dict]) -> Filler:
    def fill(w: W) -> Call:
        call = filler(w)
        body = data(w) if callable(data) else data
        return Call(kwargs=call.kwargs, query=call.query, data=body)

    return fill


def pk(name: str, get: Callable[[W], object], data=None) -> tuple[Filler, Filler]:
    """An object named by the URL parameter ``name``, and an id no row has."""
    target, missing = kwargs(**{name: get}), kwargs(**{name: lambda w: MISSING_ID})
    if data is not None:
        target, missing = with_data(target, data), with_data(missing, data)
    return target, missing


def by(filler_pair: tuple[Filler, Filler], allowed, *methods: str, **options) -> Entry:
    target, missing = filler_pair
    return entry(allowed, *methods, target=target, missing=missing, **options)


def cards_form(prefix: str = "") -> Callable[[W], dict]:
    name = f"{prefix}-numbers" if prefix else "numbers"
    return lambda w: {name: w.s01_shelf[0].number}


def number_probes(document: Callable[[W], int], prefix: str = "") -> tuple[Probe, ...]:
    """A card number, or a one-card range, on another location's shelf vs of no card, posted
    to S01's own stocktake or handover (DESIGN.md: ranges expand only over the caller's own
    cards; nothing says whether a number exists outside the caller's scope)."""
    numbers, ranges = (f"{prefix}-{name}" if prefix else name for name in ("numbers", "ranges"))

    def post(field_: str, number: Callable[[W], str], as_range: bool) -> Filler:
        def fill(w: W) -> Call:
            value = f"{number(w)} - {number(w)}" if as_range else number(w)
            return Call(kwargs={"pk": document(w)}, data={field_: value})

        return fill

    gone = lambda w: w.missing_number  # noqa: E731
    s02 = lambda w: w.s02_shelf[0].number  # noqa: E731
    hq = lambda w: w.hq_shelf[0].number  # noqa: E731
    return (
        Probe("S02 card", post(numbers, s02, False), post(numbers, gone, False)),
        Probe("HQ card", post(numbers, hq, False), post(numbers, gone, False)),
        Probe("S02 range", post(ranges, s02, True), post(ranges, gone, True)),
        Probe("HQ range", post(ranges, hq, True), post(ranges, gone, True)),
    )


def counter_probes(**data) -> tuple[Probe, ...]:
    """At S01's counter: a card on HQ's shelf, or on its way from HQ to S01, vs no card."""

    def post(number: Callable[[W], str]) -> Filler:
        return lambda w: Call(data={"card": number(w), **data})

    gone = post(lambda w: w.missing_number)
    return (
        Probe("HQ card", post(lambda w: w.hq_shelf[0].number), gone),
        Probe("card in transit", post(lambda w: w.in_transit[0].number), gone),
    )


def api_probes(place: str) -> tuple[Probe, ...]:
    """S01's key names a card on HQ's shelf, or on its way from HQ to S01, vs no card: in
    the path (``place="path"``) or as reader input (``place="input"``)."""

    def ask(number: Callable[[W], str]) -> Filler:
        if place == "path":
            return lambda w: Call(kwargs={"number": number(w)}, data=None)
        return lambda w: Call(data={"input": number(w)})

    gone = ask(lambda w: w.missing_number)
    return (
        Probe("HQ card", ask(lambda w: w.hq_shelf[0].number), gone),
        Probe("card in transit", ask(lambda w: w.in_transit[0].number), gone),
    )


# The stocktake and handover services let only staff at the document's location act on
# it: HQ sees S01's documents but may not count S01's cards or send S01's draft.
NOT_HERE = {ADMIN: REFUSED, STOCK: REFUSED}
# S01's card in a customer's hands, in HQ's card pages.
ACTIVE_NUMBER = pk("number", lambda w: w.active.number)

# route -> who may use it (staff pages by url name, API operations by "METHOD /path").
ROUTES: dict[str, Entry | tuple[Entry, ...]] = {
    # Root pages.
    "start": public("GET"),
    "healthz": public("GET"),
    "login": public("GET", "POST"),
    "logout": public("POST"),
    "language": entry(STAFF, "POST", target=lambda w: Call(data={"language": "en"})),
    "media": everyone_gets(NOT_FOUND, target=lambda w: Call(kwargs={"path": "no-such-file.png"})),
    m.ADMIN_ROUTE: everyone_gets(ADMIN_LOGIN),
    # The staff member's own sign-in: any role, with a session.
    "account": entry(STAFF),
    "password-change": entry(STAFF, "GET", "POST"),
    "second-factor-verify": entry(STAFF, "GET", "POST"),
    "second-factor-enrol": entry(STAFF, "GET", "POST"),
    "api-v1:openapi-json": public("GET"),
    "api-v1:openapi-view": public("GET"),
    "api-v1:api-root": everyone_gets(NOT_FOUND, "GET", "POST"),
    m.API_CATCH_ALL: everyone_gets(
        NOT_FOUND, "GET", "POST", target=lambda w: Call(kwargs={"path": "nope"})
    ),
    # The counter: the stores' staff, and HQ admin and finance at HQ's counter (HQ sees
    # every card; a store's purchase is not HQ's to refund or reverse at HQ's counter: it
    # answers like none, as for another store). Its top-up is the stores' only.
    "web:counter": (entry(SERVING), *card_samples(SERVING)),
    "web:counter-card": (
        *card_samples(SERVING, "POST"),
        entry(SERVING, "POST", probes=counter_probes(), label="probes"),
    ),
    "web:counter-quote": card_samples(SERVING, "POST", amount="10.00", idempotency_key=KEY),
    "web:counter-purchase": card_samples(SERVING, "POST", amount="10.00", idempotency_key=KEY),
    "web:counter-sell": (
        entry(SERVING),
        entry(
            SERVING,
            "POST",
            probes=counter_probes(initial_value="50.00", tender="cash", idempotency_key=KEY),
            label="probes",
        ),
        by(
            shelf(initial_value="50.00", tender="cash", idempotency_key=KEY),
            SERVING,
            "POST",
            label="shelf",
        ),
    ),
    "web:counter-topup": card_samples(
        COUNTER, "GET", "POST", amount="10.00", tender="cash", idempotency_key=KEY
    ),
    "web:counter-gift": card_samples(
        SERVING, "GET", "POST", gift="MUG-01", quantity="1", idempotency_key=KEY
    ),
    "web:counter-member": card_samples(SERVING, "GET", "POST", name="X", mobile="13900009999"),
    # The member (registered at S02) holds a card sold at S01: both stores' customer.
    "web:counter-find": (
        entry(COUNTER),
        entry(
            COUNTER,
            "POST",
            target=lambda w: Call(data={"find-mobile": w.member.mobile}),
            missing=lambda w: Call(data={"find-mobile": "13900000000"}),
            other=ALLOW,
        ),
    ),
    "web:counter-freeze": card_samples(SERVING, "GET", "POST", reason="lost"),
    "web:counter-replace": card_samples(SERVING, "GET", "POST", reason="lost", idempotency_key=KEY),
    "web:counter-hand-back": card_samples(
        COUNTER, "GET", "POST", tender="cash", idempotency_key=KEY
    ),
    "web:counter-unfreeze": card_samples(MANAGERS | MONEY, "POST"),
    "web:counter-pin-unlock": card_samples(MANAGERS | MONEY, "POST"),
    # Cashiers refund under the counter refund rule (a small refund of today's purchase).
    "web:counter-refund": by(
        operation(amount="1.00", idempotency_key=KEY),
        SERVING,
        "GET",
        "POST",
        overrides=NOT_HQS,
    ),
    "web:counter-reverse": by(
        operation(idempotency_key=KEY, reason="matrix"),
        MANAGERS | MONEY,
        "GET",
        "POST",
        overrides=NOT_HQS,
    ),
    "web:receipt": by(pk("operation_id", lambda w: w.purchase.pk), STAFF),
    # A store's own stock.
    "web:store-stock": entry(COUNTER),
    "web:store-stock-ranges": entry(
        COUNTER, target=lambda w: Call(query={"product": w.product.pk})
    ),
    # Recovered cards: each location's own; a card not recovered here (another location's,
    # or none) gets the same "not waiting here" answer.
    "web:recovered-cards": entry(STOCK_AND_MANAGERS),
    "web:recovered-restock": by(recovered_card(), STOCK_AND_MANAGERS, "POST", other=ALLOW),
    "web:recovered-void": by(
        recovered_card(reason="worn", idempotency_key=KEY), STOCK_KEEPERS, "POST", other=ALLOW
    ),
    # Stocktakes and handovers.
    "web:stocktakes": entry(STOCK_AND_MANAGERS),
    "web:stocktake-start": entry(STOCK_AND_MANAGERS, "POST"),
    "web:stocktake": by(pk("pk", lambda w: w.stocktake.pk), STOCK_AND_MANAGERS),
    "web:stocktake-count": by(
        pk("pk", lambda w: w.stocktake.pk, cards_form()),
        STOCK_AND_MANAGERS,
        "POST",
        overrides=NOT_HERE,
        probes=number_probes(lambda w: w.stocktake.pk),
    ),
    "web:stocktake-confirm": by(
        pk("pk", lambda w: w.stocktake.pk), STOCK_AND_MANAGERS, "POST", overrides=NOT_HERE
    ),
    "web:stocktake-cancel": by(
        pk("pk", lambda w: w.stocktake.pk, {"reason": "matrix"}),
        STOCK_AND_MANAGERS,
        "POST",
        overrides=NOT_HERE,
    ),
    "web:handovers": entry(STOCK_AND_MANAGERS),
    "web:handover-create": entry(STOCK_AND_MANAGERS, "GET", "POST"),
    "web:handover": (
        by(pk("pk", lambda w: w.handover_in.pk), STOCK_AND_MANAGERS, label="in"),
        by(pk("pk", lambda w: w.handover_out.pk), STOCK_AND_MANAGERS, label="out"),
    ),
    "web:handover-sheet": (
        by(pk("pk", lambda w: w.handover_in.pk), STOCK_AND_MANAGERS, label="in"),
        by(pk("pk", lambda w: w.handover_out.pk), STOCK_AND_MANAGERS, label="out"),
    ),
    "web:handover-add": by(
        pk("pk", lambda w: w.handover_out.pk, cards_form("add")),
        STOCK_AND_MANAGERS,
        "POST",
        overrides=NOT_HERE,
        probes=number_probes(lambda w: w.handover_out.pk, "add"),
    ),
    "web:handover-remove": by(
        pk(
            "pk", lambda w: w.handover_out.pk, lambda w: {"remove-numbers": w.s01_draft_card.number}
        ),
        STOCK_AND_MANAGERS,
        "POST",
        overrides=NOT_HERE,
        probes=number_probes(lambda w: w.handover_out.pk, "remove"),
    ),
    "web:handover-dispatch": by(
        pk("pk", lambda w: w.handover_out.pk), STOCK_AND_MANAGERS, "POST", overrides=NOT_HERE
    ),
    "web:handover-cancel": by(
        pk("pk", lambda w: w.handover_out.pk), STOCK_AND_MANAGERS, "POST", overrides=NOT_HERE
    ),
    "web:handover-receive": by(
        pk("pk", lambda w: w.handover_in.pk, cards_form("receive")),
        STOCK_AND_MANAGERS,
        "POST",
        overrides=NOT_HERE,
        probes=number_probes(lambda w: w.handover_in.pk, "receive"),
    ),
    "web:handover-resolve": by(
        pk("line_pk", lambda w: w.handover_line.pk, {"outcome": "found", "note": "matrix"}),
        STOCK_KEEPERS,
        "POST",
    ),
    # Set-up: card products, stores, staff, terminal keys.
    "web:products": entry(HQ),
    "web:product": by(pk("pk", lambda w: w.product.pk), HQ),
    "web:product-create": entry(ADMIN_ONLY, "GET", "POST"),
    "web:product-edit": by(pk("pk", lambda w: w.product.pk), ADMIN_ONLY, "GET", "POST"),
    "web:stores": entry(ADMIN_ONLY),
    "web:store-create": entry(ADMIN_ONLY, "GET", "POST"),
    "web:store-edit": by(pk("pk", lambda w: w.s02.pk), ADMIN_ONLY, "GET", "POST"),
    "web:staff": entry(ADMIN_ONLY),
    "web:staff-create": entry(ADMIN_ONLY, "GET", "POST"),
    "web:staff-edit": by(pk("pk", lambda w: w.victim_staff.pk), ADMIN_ONLY, "GET", "POST"),
    "web:staff-deactivate": by(pk("pk", lambda w: w.victim_staff.pk), ADMIN_ONLY, "POST"),
    "web:terminals": entry(ADMIN_ONLY, "GET", "POST"),
    "web:signin-security": entry(ADMIN_ONLY),
    "web:lookup-misses": entry(ADMIN_ONLY),
    "web:signin-unlock": entry(
        ADMIN_ONLY, "POST", target=lambda w: Call(data={"kind": "username", "value": "nobody"})
    ),
    "web:staff-second-factor-reset": by(pk("pk", lambda w: w.victim_staff.pk), ADMIN_ONLY, "POST"),
    "web:terminal-revoke": by(pk("pk", lambda w: w.victim_terminal.pk), ADMIN_ONLY, "POST"),
    # Batches and HQ stock.
    "web:batches": entry(STOCK_KEEPERS),
    "web:batch-create": entry(STOCK_KEEPERS, "GET", "POST"),
    "web:batch-import": entry(STOCK_KEEPERS, "GET", "POST"),
    "web:batch-void": entry(STOCK_KEEPERS, "GET", "POST"),
    "web:batch": by(pk("pk", lambda w: w.batch.pk), STOCK_KEEPERS),
    "web:batch-csv": by(pk("pk", lambda w: w.batch.pk), STOCK_KEEPERS),
    "web:batch-proof": by(pk("pk", lambda w: w.batch.pk), STOCK_KEEPERS),
    "web:batch-receive": by(pk("pk", lambda w: w.batch.pk), STOCK_KEEPERS, "POST"),
    "web:batch-cancel": by(pk("pk", lambda w: w.batch.pk, {"reason": "x"}), STOCK_KEEPERS, "POST"),
    "web:batch-sign": by(
        (
            kwargs(pk=lambda w: w.batch.pk, step=lambda w: "checked"),
            kwargs(pk=lambda w: MISSING_ID, step=lambda w: "checked"),
        ),
        STOCK_KEEPERS,
        "POST",
    ),
    "web:stock": entry(STOCK_KEEPERS),
    "web:stock-ranges": entry(
        STOCK_KEEPERS,
        target=lambda w: Call(query={"location": w.s01.pk, "product": w.product.pk}),
    ),
    # Audit and backups.
    "web:audit": entry(ADMIN_ONLY),
    "web:audit-export": entry(ADMIN_ONLY),
    "web:backups": entry(ADMIN_ONLY),
    "web:backup-now": entry(ADMIN_ONLY, "POST"),
    # Business days, Z reports, reconciliation.
    "web:days": entry(MANAGERS),
    "web:day-close": entry(
        MANAGERS, "GET", "POST", target=lambda w: Call(kwargs={"day": w.today.isoformat()})
    ),
    "web:day-reopen": entry(
        MANAGERS | MONEY,
        "GET",
        "POST",
        target=lambda w: Call(kwargs={"code": "S01", "day": w.closed_day.isoformat()}),
        missing=lambda w: Call(kwargs={"code": "S99", "day": w.closed_day.isoformat()}),
    ),
    "web:day-z-report": entry(
        MANAGERS | MONEY,
        target=lambda w: Call(kwargs={"code": "S01", "day": w.closed_day.isoformat()}),
        missing=lambda w: Call(kwargs={"code": "S99", "day": w.closed_day.isoformat()}),
    ),
    "web:reconciliation": entry(MONEY),
    "web:reconciliation-day": entry(
        MONEY, target=lambda w: Call(kwargs={"code": "S01", "day": w.closed_day.isoformat()})
    ),
    "web:reconciliation-deposit": entry(
        MONEY,
        "POST",
        target=lambda w: Call(
            kwargs={"code": "S01", "day": w.closed_day.isoformat()},
            data={"amount": "1.00", "idempotency_key": KEY},
        ),
    ),
    # Reports.
    "web:reports": entry(HQ | MANAGERS),
    "web:report": (
        entry(
            HQ | MANAGERS,
            target=lambda w: Call(kwargs={"name": "sales-inventory"}),
            label="sales-inventory",
        ),
        entry(
            MONEY | MANAGERS,
            target=lambda w: Call(kwargs={"name": "top-members"}),
            label="top-members",
        ),
    ),
    # Cards and members at HQ.
    "web:cards": entry(HQ),
    "web:card-detail": by(ACTIVE_NUMBER, HQ),
    "web:card-adjust": by(ACTIVE_NUMBER, frozenset({FINANCE}), "POST"),  # finance alone
    "web:card-top-up": by(ACTIVE_NUMBER, MONEY, "POST"),
    "web:card-freeze": by(ACTIVE_NUMBER, MONEY, "POST"),
    "web:card-replace": by(ACTIVE_NUMBER, MONEY, "POST"),
    "web:card-tier": by(ACTIVE_NUMBER, MONEY, "POST"),
    "web:approvals": entry(HQ),  # stock keepers decide voids and batch orders
    # A store manager opens their store's requests only (refunds): HQ's answer like none.
    "web:approval": (
        by(pk("request_id", lambda w: w.approval.pk), HQ, overrides=HQ_REQUEST_PAGE),
        by(pk("request_id", lambda w: w.refund_request.pk), MONEY | MANAGERS | {CASHIER}),
    ),
    "web:approval-approve": (
        by(pk("request_id", lambda w: w.approval.pk), MONEY, "POST", overrides=HQ_REQUEST),
        by(pk("request_id", lambda w: w.refund_request.pk), MONEY | MANAGERS, "POST"),
    ),
    "web:approval-reject": (
        by(pk("request_id", lambda w: w.approval.pk), MONEY, "POST", overrides=HQ_REQUEST),
        by(pk("request_id", lambda w: w.refund_request.pk), MONEY | MANAGERS, "POST"),
    ),
    "web:counter-approvals": entry(COUNTER),
    "web:approval-thresholds": entry(HQ, "GET", "POST"),
    "web:members": entry(MONEY),
    "web:member-export": entry(MONEY),
    "web:member-detail": by(pk("member_id", lambda w: w.member.pk), MONEY),
    "web:member-edit": by(pk("member_id", lambda w: w.member.pk), MONEY, "GET", "POST"),
    # Loyalty programs, campaigns, gifts.
    "web:loyalty": entry(HQ),
    "web:loyalty-limits": entry(MONEY, "POST"),
    "web:loyalty-product": by(pk("code", lambda w: w.product.code), HQ),
    "web:loyalty-tier-new": by(pk("code", lambda w: w.product.code), ADMIN_ONLY, "GET", "POST"),
    "web:loyalty-tier": entry(
        ADMIN_ONLY,
        "GET",
        "POST",
        target=lambda w: Call(kwargs={"code": w.product.code, "tier_code": w.tier.code}),
    ),
    "web:campaigns": entry(HQ),
    "web:campaign-new": entry(ADMIN_ONLY, "GET", "POST"),
    "web:campaign-edit": by(pk("campaign_id", lambda w: w.campaign.pk), ADMIN_ONLY, "GET", "POST"),
    "web:campaign-end": by(pk("campaign_id", lambda w: w.campaign.pk), ADMIN_ONLY, "POST"),
    "web:gifts": entry(HQ),
    "web:gift-new": entry(ADMIN_ONLY, "GET", "POST"),
    "web:gift-detail": by(pk("code", lambda w: w.gift.code), HQ),
    "web:gift-edit": by(pk("code", lambda w: w.gift.code), ADMIN_ONLY, "GET", "POST"),
    "web:gift-stock": entry(HQ),
    "web:gift-stock-move": entry(
        STOCK_KEEPERS, "POST", target=lambda w: Call(kwargs={"action": "receive"})
    ),
}


# The POS API: a terminal key acts at its store; staff sessions are not keys.
def api_card(body: dict | None = None) -> tuple[Entry, ...]:
    """A card named in the path: S01's shelf card is S01's only, a card in a customer's
    hands is served at every store."""
    data = body

    def fill(get):
        return lambda w: Call(kwargs={"number": get(w)}, data=data)

    missing = fill(lambda w: w.missing_number)
    return (
        entry(NOBODY, target=fill(lambda w: w.s01_shelf[0].number), missing=missing, label="shelf"),
        entry(
            NOBODY,
            target=fill(lambda w: w.active.number),
            missing=missing,
            other=ALLOW,
            label="active",
        ),
    )


def api_operation(body: dict | None = None, **options) -> Entry:
    return entry(
        NOBODY,
        target=lambda w: Call(kwargs={"id": w.purchase.pk}, data=body),
        missing=lambda w: Call(kwargs={"id": MISSING_ID}, data=body),
        **options,
    )


def api_lookup() -> tuple[Entry, ...]:
    missing = lambda w: Call(data={"input": w.missing_number})  # noqa: E731
    return (
        entry(
            NOBODY,
            target=lambda w: Call(data={"input": w.s01_shelf[0].number}),
            missing=missing,
            label="shelf",
        ),
        entry(
            NOBODY,
            target=lambda w: Call(data={"input": w.active.number}),
            missing=missing,
            other=ALLOW,
            label="active",
        ),
    )


API_ROUTES: dict[str, Entry | tuple[Entry, ...]] = {
    "POST /cards/lookup": (*api_lookup(), entry(NOBODY, probes=api_probes("input"))),
    "GET /cards/{number}": (*api_card(), entry(NOBODY, probes=api_probes("path"))),
    "GET /cards/{number}/operations": api_card(),
    "POST /cards/{number}/sale": api_card({"initial_value": 1000, "tender": "cash"}),
    "POST /cards/{number}/top-ups": api_card({"amount": 1000, "tender": "cash"}),
    "POST /cards/{number}/purchases": api_card({"amount": 100}),
    "POST /cards/{number}/gift-redemptions": api_card({"gift": "MUG-01", "quantity": 1}),
    "POST /cards/{number}/hand-back": api_card({"tender": "cash"}),
    "GET /operations/{id}": api_operation(),
    "POST /operations/{id}/refunds": api_operation({"amount": 10}),
    # A key reverses its own operations only: S01's purchase was a cashier's.
    "POST /operations/{id}/reversal": api_operation(overrides={TERMINAL: DENY}),
    "GET /approval-requests/{id}": entry(
        NOBODY,
        target=lambda w: Call(kwargs={"id": w.refund_request.pk}),
        missing=lambda w: Call(kwargs={"id": MISSING_ID}),
    ),
    "GET /stock": entry(NOBODY),
    "GET /gifts": entry(NOBODY),
}


# The world ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the whole module, undone at its end; tests add their own transaction."""
    from membercard.core.calendar import today

    with django_db_blocker.unblock():
        block = transaction.atomic()
        block._from_testcase = True  # services' durable transactions may run inside it
        block.__enter__()
        try:
            w = m.build_world()
            w.today = today()
            yield w
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _no_real_backups(monkeypatch):
    """The admin's "back up now" would copy the whole database: the role check is tested."""
    monkeypatch.setattr(
        "membercard.ops.backups.services.back_up_now",
        lambda **kwargs: SimpleNamespace(verify_failed=False, file="stub", pk=1),
    )


# Expectations --------------------------------------------------------------------------


def expected(route: str, sample: Entry, actor: str) -> str:
    if actor in sample.overrides:
        return sample.overrides[actor]
    if sample.public:
        return ALLOW
    if route in API_ROUTES:
        if actor == TERMINAL:
            return ALLOW
        if actor == TERMINAL2:
            return sample.other if sample.missing else ALLOW
        return UNAUTHENTICATED
    if actor in (ANONYMOUS, TERMINAL, TERMINAL2):
        return LOGIN
    if actor not in sample.allowed:
        return DENY
    if actor in m.OTHER_STORE and sample.missing is not None:
        return sample.other
    return ALLOW


def wrong_answer(want: str, response, route: str) -> str | None:
    """Why ``response`` is not ``want`` (None when it is). ``HIDDEN`` is checked apart."""
    status = response.status_code
    location = response.get("Location", "")
    to_sign_in = status == 302 and location.startswith(settings.LOGIN_URL)
    if status >= 500:
        return f"server error {status}"
    if want == ALLOW:
        if status in REFUSALS or (to_sign_in and route not in ("logout", "login")):
            return f"refused with {status} {location}".strip()
        return None
    if want == DENY:
        return None if status == 403 else f"{status}, expected 403"
    if want == LOGIN:
        return None if to_sign_in else f"{status} {location}, expected the sign-in page"
    if want == UNAUTHENTICATED:
        return None if status == 401 else f"{status}, expected 401"
    if want == NOT_FOUND:
        return None if status == 404 else f"{status}, expected 404"
    if want == ADMIN_LOGIN:
        return None if status == 302 and "/admin/login/" in location else f"{status} {location}"
    if want == HIDDEN:
        return None if status in (403, 404) else f"{status}, expected a refusal"
    if want == REFUSED:
        return None if 400 <= status < 500 else f"{status}, expected a refusal"
    raise AssertionError(want)


# Cases ---------------------------------------------------------------------------------

ALL_ROUTES = {**ROUTES, **API_ROUTES}


def samples(route: str) -> tuple[Entry, ...]:
    value = ALL_ROUTES[route]
    return value if isinstance(value, tuple) else (value,)


def url_of(route: str, call: Call) -> str:
    if route in API_ROUTES:
        return m.api_url(route.split(" ", 1)[1], call.kwargs)
    if route == m.ADMIN_ROUTE:
        return "/admin/"
    if route == m.API_CATCH_ALL:
        return f"{m.API_PREFIX}/{call.kwargs['path']}"
    return m.web_url(route, call.kwargs)


def test_every_route_has_an_entry():
    routes = set(m.web_routes()) | m.api_routes()
    missing = sorted(routes - set(ALL_ROUTES))
    assert not missing, "\n".join(
        f"new route {route} has no entry in the isolation matrix" for route in missing
    )


def test_the_matrix_names_only_routes_that_exist():
    stale = sorted(set(ALL_ROUTES) - (set(m.web_routes()) | m.api_routes()))
    assert not stale, f"no such routes any more, remove them from the matrix: {stale}"


def _ask(w: W, route: str, method: str, actor: str, call: Call):
    with m.rolled_back():
        return m.send(w.clients[actor], method, url_of(route, call), call, api=route in API_ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ALL_ROUTES))
def test_route_isolation(world, route):
    """Every actor x method of one route gets its answer; refused writes change no row; no
    answer shows another location's shelf stock."""
    w = world
    if route not in set(m.web_routes()) | m.api_routes():
        pytest.fail(f"{route} is in the matrix but no such route exists: remove its entry")
    baseline = m.fingerprint()
    wrong: list[str] = []
    asked = 0
    for number, sample in enumerate(samples(route)):
        call = sample.target(w) if sample.target else Call()
        methods = (route.split(" ", 1)[0],) if route in API_ROUTES else sample.methods
        # A sample of probes alone (no object of its own) is asked by its probes only.
        for method in methods if sample.target or not sample.probes else ():
            for actor in m.ACTORS:
                want = expected(route, sample, actor)
                if number and want in BEFORE_ANY_OBJECT:
                    continue  # answered before the object is looked at: asked once
                response = _ask_and_check(w, route, method, actor, call, want, baseline, wrong)
                asked += 1
                if want == HIDDEN and response.status_code in (403, 404):
                    missing = sample.missing(w)
                    gone = _ask(w, route, method, actor, missing)
                    if m.normalised(response, call) != m.normalised(gone, missing):
                        wrong.append(
                            f"{method} {sample.label} as {actor}: answers {response.status_code} "
                            f"for S01's object but {gone.status_code} (or another page) for a "
                            "nonexistent one"
                        )
        for probe in sample.probes:
            for actor in (CASHIER, MANAGER, TERMINAL):
                if expected(route, sample, actor) == ALLOW:
                    asked += _probe(w, route, methods[0], actor, probe, baseline, wrong)
    assert asked
    assert not wrong, f"{route}:\n  " + "\n  ".join(wrong)


def _ask_and_check(
    w: W, route: str, method: str, actor: str, call: Call, want: str, baseline, wrong: list[str]
):
    """Ask once (rolled back) and note in ``wrong`` an answer other than ``want``, a refused
    write that changed rows, and any text the actor may not see."""
    with m.rolled_back():
        response = m.send(
            w.clients[actor], method, url_of(route, call), call, api=route in API_ROUTES
        )
        changed = (
            m.changed_tables(baseline, m.fingerprint()) if method != "GET" and want != ALLOW else []
        )
    where = f"{method} {call.kwargs or ''}{call.query or ''} as {actor}".replace("{}", "")
    problem = wrong_answer(want, response, route)
    if problem:
        wrong.append(f"{where}: {problem} (want {want})")
    if changed:
        wrong.append(f"{where}: refused ({response.status_code}) but changed {changed}")
    body = response.content.decode("utf-8", "replace") if not response.streaming else ""
    sent = m.carried(call)
    shown = sorted(
        f"{why} {text}"
        for text, why in m.forbidden(w, actor).items()
        if text in body and text not in sent
    )
    if shown:
        wrong.append(f"{where}: shows {shown}")
    return response


def _probe(
    w: W, route: str, method: str, actor: str, probe: Probe, baseline, wrong: list[str]
) -> int:
    """Ask with another location's card and with no card: the same answer, nothing kept."""
    answers = []
    api = route in API_ROUTES
    for filler in (probe.foreign, probe.missing):
        call = filler(w)
        with m.rolled_back():
            response = m.send(w.clients[actor], method, url_of(route, call), call, api=api)
            changed = (
                m.changed_tables(baseline, m.fingerprint()) if response.status_code >= 400 else []
            )
        if changed:
            wrong.append(f"{probe.label} as {actor}: refused but changed {changed}")
        answers.append(m.normalised(response, call))
    if answers[0] != answers[1]:
        wrong.append(
            f"{probe.label} as {actor}: answers {answers[0][0]} for another location's card "
            f"but {answers[1][0]} (or another page) for a number of no card"
        )
    return 2


@pytest.mark.django_db
def test_the_fingerprint_sees_an_updated_row(world):
    """The "no row changed" check sees an update, not only a new row (a card's state)."""
    before = m.fingerprint()
    with m.rolled_back():
        Card.objects.filter(pk=world.s01_shelf[0].pk).update(state="void")
        assert m.changed_tables(before, m.fingerprint()) == ["cards.Card"]
    assert m.changed_tables(before, m.fingerprint()) == []
