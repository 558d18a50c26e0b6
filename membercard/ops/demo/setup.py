"""The demo run and its set-up: :class:`DemoRun` (actors, seeded randomness, idempotency
keys, tallies), look-ups of the run's cards, and what is written directly, in one
transaction (locations, logins, products, cards in stock), plus the members who join
when they buy a card.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db.models import Sum

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.models import Location, Staff
from membercard.core.transactions import business_operation
from membercard.ledger.models import AccountKind
from membercard.loyalty.models import Member
from membercard.loyalty.services import find_or_register_member
from membercard.ops.demo.catalog import (
    COMPLETION_LOGIN,
    GIVEN_NAMES,
    LOCATIONS,
    LOGINS,
    MOBILE_PREFIXES,
    PRODUCTS,
    SURNAMES,
    TENDERS,
    Login,
)

Say = Callable[[str], None]


# The run: actors, seeded randomness, idempotency keys, tallies -----------------


@dataclass
class DemoRun:
    rng: random.Random
    say: Say
    locations: dict[str, Location] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    products: dict[str, CardProduct] = field(default_factory=dict)
    sold: list[Card] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)
    tally: Counter[str] = field(default_factory=Counter)
    password_hashes: dict[str, str] = field(default_factory=dict)
    _keys: int = 0

    def key(self) -> str:
        self._keys += 1
        return f"demo-{self._keys}"

    def actor(self, username: str) -> Actor:
        return Actor.for_staff(self.staff[username])

    def tender(self) -> str:
        return str(self.rng.choice(TENDERS))


def value_of(card: Card) -> int:
    """Principal + bonus on the card right now (a read; services lock when they write)."""
    kinds = (AccountKind.CARD_PRINCIPAL, AccountKind.CARD_BONUS)
    total = card.accounts.filter(kind__in=kinds).aggregate(total=Sum("balance"))["total"]
    return total or 0


# The run's cards: in stock, sold --------------------------------------------------


def in_stock(run: DemoRun, code: str, product_code: str, count: int) -> list[Card]:
    return list(
        Card.objects.filter(
            state=CardState.IN_STOCK,
            location=run.locations[code],
            product=run.products[product_code],
        )
        .select_related("product")
        .order_by("pk")[:count]
    )


def sold_cards(
    run: DemoRun, product_codes: Iterable[str], *, sold_at: str | None = None
) -> list[Card]:
    wanted = set(product_codes)
    location = run.locations[sold_at] if sold_at else None
    return [
        card
        for card in run.sold
        if card.product.code in wanted and (location is None or card.sold_at_id == location.pk)
    ]


# Set-up: locations, staff, products, cards in stock -----------------------------


def create_locations(run: DemoRun) -> None:
    for spec in LOCATIONS:
        run.locations[spec.code] = Location.objects.create(
            code=spec.code, name=spec.name, kind=spec.kind, address=spec.address
        )


def hash_passwords(logins: Iterable[Login]) -> dict[str, str]:
    """Each distinct password hashed once, in parallel: the hasher (argon2) is slow on purpose."""
    passwords = sorted({login.password for login in logins})
    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return dict(zip(passwords, pool.map(make_password, passwords), strict=True))


def create_login(run: DemoRun, login: Login) -> Staff:
    """The login, with its password already hashed (see :func:`hash_passwords`)."""
    make = Staff.objects.create_superuser if login.superuser else Staff.objects.create_user
    staff = make(
        username=login.username,
        password=None,
        role=login.role,
        location=run.locations[login.location],
        first_name=login.first_name,
        last_name=login.last_name,
    )
    # Demo only: the documented weak passwords are set as hashes (no validator sees them),
    # and the demo logins skip the second factor (``Staff.demo_login``, shown on HQ's
    # sign-in security page as "demo account"). No form or service sets either.
    staff.password = run.password_hashes[login.password]
    staff.demo_login = True
    staff.save(update_fields=["password", "demo_login"])
    run.staff[login.username] = staff
    return staff


def create_products(run: DemoRun) -> None:
    for fields in PRODUCTS:
        product = CardProduct(**fields)
        product.full_clean()
        product.save()
        run.products[product.code] = product


@business_operation
def set_up(run: DemoRun) -> None:
    """Locations, staff (all but the admin, who comes last) and products."""
    create_locations(run)
    run.password_hashes = hash_passwords(LOGINS)
    for login in LOGINS:
        if login.username != COMPLETION_LOGIN:
            create_login(run, login)
    create_products(run)
    run.say(f"  {len(LOCATIONS)} locations, {len(run.staff)} staff, {len(PRODUCTS)} products")


# Members -------------------------------------------------------------------------


def new_identity(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """A (name, mobile) pair: a Chinese name and an 11-digit mobile not in ``taken``."""
    while True:
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if mobile not in taken:
            taken.add(mobile)
            return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES), mobile


def next_member(run: DemoRun, actor: Actor) -> Member:
    """The next buyer who joins, registered at the actor's location; one in ten is a
    regular who already has a card."""
    if run.members and run.rng.random() < 0.1:
        name, mobile = run.rng.choice(run.members)
    else:
        name, mobile = new_identity(run.rng, {mobile for _, mobile in run.members})
        run.members.append((name, mobile))
    return find_or_register_member(actor=actor, name=name, mobile=mobile)
