"""Ledger bench: purchases and counter look-ups through the service layer, from N threads.

Run from the checkout::

    .venv/bin/python bench/ledger_bench.py --threads 8 --seconds 10 --cards 200
    .venv/bin/python bench/ledger_bench.py --database-url postgresql://postgres@127.0.0.1:5432/x

The bench never touches your real database. It picks the database *server* from
``--database-url`` (default: ``$DATABASE_URL``, else SQLite) and then works in a
scratch database of its own:

* PostgreSQL: the database named by ``--bench-db`` (default ``membercard_bench``) on
  that server is dropped and created afresh (through the ``postgres`` maintenance
  database), migrated, seeded, and dropped again at the end unless ``--keep``.
* SQLite: a file in a new temporary folder, removed at the end.

Seed: HQ and ``--stores`` stores, one cashier per thread, one card product without
a PIN (PIN hashing is argon2 and deliberately slow), and ``--cards`` cards sold with
a large balance so purchases rarely fail.

Each thread loops until the time is up, doing a look-up (what the counter does
after a swipe: parse the reader input, fetch the card with its product, member
and balances) with probability ``--lookup-share``, else a purchase on a random
card. It prints the database, the rates of successful calls, p50/p99 latency of
every call, errors by code, and the ledger verification of the scratch database.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
INITIAL_VALUE_MINOR = 100_000_000  # 1,000,000.00 per card: purchases rarely run it dry


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="which database server to bench (default $DATABASE_URL, else SQLite); "
        "the bench always works in a scratch database of its own",
    )
    parser.add_argument(
        "--bench-db",
        default="membercard_bench",
        help="PostgreSQL: name of the scratch database (dropped and recreated)",
    )
    parser.add_argument(
        "--lookup-share", type=float, default=0.5, help="share of calls that are look-ups"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database (or SQLite folder)"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the ledger verification")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.cards < 1 or args.stores < 1 or args.seconds <= 0:
        parser.error("--threads, --cards, --stores and --seconds must be positive")
    if not 0 <= args.lookup_share <= 1:
        parser.error("--lookup-share is between 0 and 1")
    if not args.bench_db.replace("_", "").isalnum():
        parser.error("--bench-db: letters, digits and underscores only")
    return args


# The scratch database ------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in POSTGRES_SCHEMES else parts.scheme
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, ""))


def recreate_postgres(url: str, name: str) -> str:
    """Drop and create database ``name`` on ``url``'s server; the URL of the new database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(url, name)


def drop_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# Seed ----------------------------------------------------------------------------


@dataclass
class Seed:
    cashiers: list  # one Actor per thread
    card_numbers: list[str]


def seed(*, threads: int, stores: int, cards: int) -> Seed:
    from membercard.cards import numbers
    from membercard.cards.models import Card, CardProduct
    from membercard.core.actors import Actor
    from membercard.core.models import Location, LocationKind, Role, Staff
    from membercard.inventory import movements
    from membercard.ledger.services import sell_card
    from membercard.loyalty.services import set_prepaid_limits

    hq = Location.objects.create(code="HQ", name="Head office", kind=LocationKind.HQ)
    shops = [
        Location.objects.create(code=f"S{i:02d}", name=f"Store {i}", kind=LocationKind.STORE)
        for i in range(1, stores + 1)
    ]

    def cashier(location) -> Actor:
        # No usable password: argon2 would take a good part of a second per person.
        user = Staff.objects.create_user(
            username=f"bench-{uuid.uuid4().hex[:10]}",
            password=None,
            role=Role.STORE_CASHIER,
            location=location,
        )
        return Actor.for_staff(user)

    product = CardProduct(
        code="bench",
        name="Bench value card",
        has_stored_value=True,
        rechargeable=True,
        has_points=True,
        points_per_unit=1,
        pin_required=False,
        number_prefix="8899",
        number_length=16,
    )
    product.full_clean()
    product.save()

    sellers = [cashier(shop) for shop in shops]
    card_numbers: set[str] = set()
    while len(card_numbers) < cards:
        card_numbers.add(numbers.generate_number(product.number_prefix, product.number_length))
    stock = [
        Card(number=number, product=product, location=shops[i % stores])
        for i, number in enumerate(sorted(card_numbers))
    ]
    Card.objects.bulk_create(stock)
    movements.record_new_cards(stock, event="card.registered", by=None)
    # The bench cards carry far more than a real card may (prepaid limits): lift the limits.
    finance = Staff.objects.create_user(
        username="bench-finance", password=None, role=Role.HQ_FINANCE, location=hq
    )
    set_prepaid_limits(
        actor=Actor.for_staff(finance),
        anonymous_limit_minor=10**9,
        registered_limit_minor=10**9,
        reason="ledger bench",
    )
    for i, card in enumerate(stock):
        sell_card(
            actor=sellers[i % stores],
            card_number=card.number,
            initial_value_minor=INITIAL_VALUE_MINOR,
            tender="cash",
            idempotency_key=uuid.uuid4().hex,
        )
    return Seed(
        cashiers=[cashier(shops[i % stores]) for i in range(threads)],
        card_numbers=[card.number for card in stock],
    )


# Look-up -------------------------------------------------------------------------


def counter_lookup_function() -> tuple[str, Callable[[str], int]]:
    """What the counter does after a swipe; the shared selector when the code base has one."""
    try:
        from membercard.cards.selectors import look_up
    except ImportError:
        look_up = None
    if look_up is not None:

        def via_selector(raw: str) -> int:
            return look_up(raw).balance_minor

        return "membercard.cards.selectors.look_up", via_selector

    from membercard.cards.models import Card
    from membercard.cards.reader import parse_reader_input
    from membercard.core.errors import CardNotFound
    from membercard.ledger.models import AccountKind

    def inline(raw: str) -> int:
        reference = parse_reader_input(raw)
        where = {"number" if reference.kind == "number" else "uid": reference.value}
        card = Card.objects.select_related("product", "member").filter(**where).first()
        if card is None:
            raise CardNotFound()
        balances = dict(card.accounts.values_list("kind", "balance"))
        return balances.get(AccountKind.CARD_PRINCIPAL, 0) + balances.get(AccountKind.CARD_BONUS, 0)

    return "inline ORM query (bench)", inline


# The run -------------------------------------------------------------------------


@dataclass
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"purchase": [], "lookup": []}
    )
    errors: Counter[str] = field(default_factory=Counter)
    first_unexpected: str = ""


def worker(index: int, *, args, seeded: Seed, lookup, barrier, deadline_box, tally: Tally) -> None:
    from django.db import connection

    from membercard.cards.reader import barcode_value, track2
    from membercard.core.errors import DomainError
    from membercard.ledger.services import purchase

    rng = random.Random(args.seed * 1_000 + index)
    actor = seeded.cashiers[index]
    readers = (lambda n: n, barcode_value, track2)  # keyed, scanned, swiped
    local = Tally()
    try:
        barrier.wait()
        deadline = deadline_box[0]
        while time.perf_counter() < deadline:
            number = rng.choice(seeded.card_numbers)
            if rng.random() < args.lookup_share:
                kind = "lookup"
                raw = rng.choice(readers)(number)

                def call(raw=raw) -> object:
                    return lookup(raw)

            else:
                kind = "purchase"
                amount = rng.randint(100, 5_000)

                def call(number=number, amount=amount) -> object:
                    return purchase(
                        actor=actor,
                        card_number=number,
                        amount_minor=amount,
                        idempotency_key=uuid.uuid4().hex,
                        read_as="keyed",
                    )

            started = time.perf_counter()
            try:
                call()
            except DomainError as exc:
                local.errors[f"{kind}:{exc.code}"] += 1
            except Exception as exc:
                local.errors[f"{kind}:{type(exc).__name__}"] += 1
                if not local.first_unexpected:
                    local.first_unexpected = traceback.format_exc()
            else:
                local.ok[kind] += 1
            local.latencies[kind].append(time.perf_counter() - started)
    finally:
        connection.close()
        with tally_lock:
            tally.ok.update(local.ok)
            tally.errors.update(local.errors)
            for kind, values in local.latencies.items():
                tally.latencies[kind].extend(values)
            tally.first_unexpected = tally.first_unexpected or local.first_unexpected


tally_lock = threading.Lock()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list, in milliseconds (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1] * 1000


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from membercard.ledger.verify import verify_ledger

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    if vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        where = f"PostgreSQL {version // 10_000}.{version % 10_000} (scratch db {args.bench_db})"
    else:
        import sqlite3

        where = f"SQLite {sqlite3.sqlite_version} (scratch file {connection.settings_dict['NAME']})"

    print(f"database:   {where}")
    started = time.perf_counter()
    seeded = seed(threads=args.threads, stores=args.stores, cards=args.cards)
    print(
        f"seeded:     {args.cards} cards at {args.stores} stores, {args.threads} cashiers "
        f"in {time.perf_counter() - started:.1f} s"
    )
    lookup_name, lookup = counter_lookup_function()
    print(f"lookup:     {lookup_name}")
    connections.close_all()

    tally = Tally()
    deadline_box = [0.0]
    barrier = threading.Barrier(
        args.threads + 1,
        action=lambda: deadline_box.__setitem__(0, time.perf_counter() + args.seconds),
    )
    threads = [
        threading.Thread(
            target=worker,
            args=(index,),
            kwargs={
                "args": args,
                "seeded": seeded,
                "lookup": lookup,
                "barrier": barrier,
                "deadline_box": deadline_box,
                "tally": tally,
            },
            name=f"bench-{index}",
        )
        for index in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - (deadline_box[0] - args.seconds)
    print(f"threads:    {args.threads}   duration: {elapsed:.2f} s (asked {args.seconds:g} s)")

    lines = {}
    for kind, label in (("purchase", "purchases"), ("lookup", "lookups")):
        values = sorted(tally.latencies[kind])
        rate = tally.ok[kind] / elapsed
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        lines[kind] = f"{label}: {rate:.1f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms"
        print(
            f"{label + ':':11} {tally.ok[kind]:7d} ok  {rate:8.1f}/s  "
            f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({len(values)} calls)"
        )
    errors = ", ".join(f"{code}={n}" for code, n in sorted(tally.errors.items())) or "none"
    print(f"errors:     {errors}")
    if tally.first_unexpected:
        print("first unexpected error:\n" + tally.first_unexpected, file=sys.stderr)
    if not args.no_verify:
        summary = verify_ledger()
        checked = ", ".join(f"{n} {what}" for what, n in summary.checked.items())
        verdict = "clean" if not summary.problems else f"{len(summary.problems)} PROBLEMS"
        print(f"verify:     {verdict} ({checked})")
        for problem in summary.problems[:20]:
            print(f"  {problem}")
    connections.close_all()
    print(
        f"summary: {vendor} threads={args.threads} {elapsed:.1f}s | {lines['purchase']} | "
        f"{lines['lookup']} | errors: {errors}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    scheme = urlsplit(url).scheme if url else "sqlite"
    data_dir = tempfile.mkdtemp(prefix="membercard-bench-")
    # Never the real data folder: its secret key and SQLite file stay untouched.
    os.environ["MEMBERCARD_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "membercard.settings"
    postgres = scheme in POSTGRES_SCHEMES
    try:
        if postgres:
            os.environ["DATABASE_URL"] = recreate_postgres(url, args.bench_db)
        elif scheme == "sqlite":
            os.environ.pop("DATABASE_URL", None)  # the default SQLite file in data_dir
        else:
            print(f"unsupported database: {scheme}", file=sys.stderr)
            return 2
        return run(args)
    finally:
        if args.keep:
            print(f"kept: {args.bench_db if postgres else data_dir}")
        else:
            if postgres:
                drop_postgres(url, args.bench_db)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
