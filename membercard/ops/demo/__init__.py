"""Demonstration data: a Shanghai chain with HQ and two stores, staff of every role,
four card products, a few hundred cards and a genuine ledger history over the past week.

Everything that moves money, points or a card's state goes through the real
services (``sell_card``, ``top_up``, ``purchase``, ``refund``, ``reverse``,
``adjust``, ``freeze_card``, ``unfreeze_card``, ``replace_card``,
``recover_card``), each in its own durable transaction, so ``membercard verify``
reports the demo ledger clean. Only the set-up (locations, staff, products,
cards in stock) is written directly, in one transaction.

The demo loads once: :func:`demo_state` tells an empty database from one that
already holds the demo (or someone else's data), and :func:`load_demo` refuses
anything but an empty one. Amounts come from a seeded ``random.Random`` so the
demo looks the same each time; card numbers and RFID UIDs stay random
(``secrets``), as real ones are.

The ``admin`` login is created last: its presence marks a complete load.

This module is the public entry: detecting an earlier load, :func:`load_demo` and the
summary it prints. The rest lives in sub-modules:

- :mod:`.catalog`: what the demo contains (locations, logins, products, plans, names);
- :mod:`.setup`: :class:`DemoRun` and the set-up (locations, logins, products, stock,
  members);
- :mod:`.history`: the ledger history (sales, top-ups, purchases, refunds);
- :mod:`.stories`: the special cases (reversals, adjustments, frozen, replaced and
  recovered cards);
- :mod:`.days`: the week the history runs over (a travelled clock), the past days closed
  by the managers and the deposits HQ recorded.
"""

from __future__ import annotations

import enum
import random
import time
from collections import Counter

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import CardState
from membercard.core.models import Location, LocationKind, Role, Staff
from membercard.ledger.models import Operation, OperationKind
from membercard.loyalty.models import Member
from membercard.ops.demo.catalog import (
    COMPLETION_LOGIN,
    DEFAULT_SEED,
    HQ_CODE,
    HQ_NAME,
    LOGINS,
)
from membercard.ops.demo.days import (
    SALES_DAY,
    SHOPPING_DAYS,
    STOCK_DAY,
    TOP_UP_DAY,
    close_past_days,
    on_day,
)
from membercard.ops.demo.four_eyes import (
    story_day_reopened,
    story_replacements_over_limit,
    story_settings,
    story_stock_and_limits,
    story_write_offs,
)
from membercard.ops.demo.history import partial_refunds, purchases, sell_cards, top_ups
from membercard.ops.demo.rewards import set_up_rewards
from membercard.ops.demo.setup import DemoRun, Say, create_login, set_up
from membercard.ops.demo.stock import stock_up
from membercard.ops.demo.stories import pick_story_cards, tell_stories

__all__ = [
    "COMPLETION_LOGIN",
    "DEFAULT_SEED",
    "HQ_CODE",
    "HQ_NAME",
    "LOGINS",
    "DemoRun",
    "DemoState",
    "Say",
    "demo_state",
    "existing_data",
    "load_demo",
    "login_lines",
    "summary_lines",
]


# Detecting an earlier load ---------------------------------------------------


class DemoState(enum.Enum):
    EMPTY = "empty"
    LOADED = "loaded"
    INCOMPLETE = "incomplete"
    FOREIGN = "foreign"


def demo_state() -> DemoState:
    """Whether the database is empty, holds the (complete) demo, or holds other data."""
    hq = Location.objects.filter(code=HQ_CODE).first()
    if hq is not None and hq.name == HQ_NAME and hq.kind == LocationKind.HQ:
        if Staff.objects.filter(username=COMPLETION_LOGIN, role=Role.HQ_ADMIN).exists():
            return DemoState.LOADED
        return DemoState.INCOMPLETE
    return DemoState.FOREIGN if existing_data() else DemoState.EMPTY


def existing_data() -> dict[str, int]:
    """What the database already holds, by kind (only kinds with rows)."""
    counts = {
        "locations": Location.objects.count(),
        "staff accounts": Staff.objects.count(),
        "card products": CardProduct.objects.count(),
        "cards": Card.objects.count(),
        "members": Member.objects.count(),
        "operations": Operation.objects.count(),
    }
    return {what: count for what, count in counts.items() if count}


# Putting it together -------------------------------------------------------------


def summary_lines() -> list[str]:
    lines = ["Cards by location (in stock / sold there):"]
    for location in Location.objects.order_by("code"):
        stock = Card.objects.filter(location=location, state=CardState.IN_STOCK).count()
        sold = Card.objects.filter(sold_at=location).count()
        lines.append(f"  {location.code:4} {location.name:16} {stock:4} in stock  {sold:4} sold")
    lines.append("Operations:")
    kinds = Counter(Operation.objects.values_list("kind", flat=True))
    for kind in OperationKind:
        if kinds[kind]:
            lines.append(f"  {kind.label:36} {kinds[kind]:4}")
    lines.append(f"Members: {Member.objects.count()}")
    return lines


def login_lines() -> list[str]:
    lines = [
        "Logins (demo only; change or delete them before real use; as demo accounts they",
        "skip the second factor, which real HQ staff and store managers must set up):",
    ]
    for login in LOGINS:
        extra = "  (also Django superuser: /admin/)" if login.superuser else ""
        lines.append(
            f"  {login.username:9} / {login.password:11} {login.role.label:15} "
            f"at {login.location}{extra}"
        )
    return lines


def load_demo(*, say: Say = print, seed: int = DEFAULT_SEED) -> DemoRun:
    """Load the demo into an empty database. The caller checks :func:`demo_state` first."""
    if demo_state() != DemoState.EMPTY:
        raise RuntimeError("The demo loads into an empty database only.")
    started = time.monotonic()
    run = DemoRun(rng=random.Random(seed), say=say)

    def step(title: str) -> None:
        say(f"{title} ... ({time.monotonic() - started:.1f} s)")

    step("Setting up locations, staff and products")
    set_up(run)
    # The history runs over the past week (days.py), then today goes on from there.
    step("Ordering cards, receiving them at HQ, handing them over to the stores (a week ago)")
    with on_day(STOCK_DAY, hour=9):
        stock_up(run)
    step("Selling cards")
    with on_day(SALES_DAY, hour=10):
        sell_cards(run)
    story_cards = pick_story_cards(run)
    step("Topping up")
    with on_day(TOP_UP_DAY, hour=12):
        top_ups(run)
    step("Shopping at both stores over four days, and today")
    reserved = {card.pk for card in story_cards.values()}
    done = purchases(run, reserved=reserved, days_ago=SHOPPING_DAYS)
    step("Refunding")
    partial_refunds(run, done)
    step("Reversals, adjustments, frozen, replaced and recovered cards")
    tell_stories(run, story_cards)
    step("Gifts, gift stock and a points campaign")
    set_up_rewards(run)
    step("Closing the past days at both stores; HQ records the deposits")
    close_past_days(run)
    story_day_reopened(run)
    story_stock_and_limits(run)
    story_replacements_over_limit(run)
    story_settings(run)
    story_write_offs(run)
    step("Creating the admin login")
    create_login(run, next(login for login in LOGINS if login.username == COMPLETION_LOGIN))
    say(f"Demo loaded in {time.monotonic() - started:.1f} s.")
    for line in summary_lines() + login_lines():
        say(line)
    return run
