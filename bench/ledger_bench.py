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
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from common import (
    KINDS,
    Tally,
    bench_product,
    create_stores,
    describe_database,
    errors_text,
    latency_line,
    lift_prepaid_limits,
    percentile,
    run_in_scratch,
    run_together,
    sell_new_cards,
    setup_django,
    staff_actor,
)


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


# Seed ----------------------------------------------------------------------------


@dataclass
class Seed:
    cashiers: list  # one Actor per thread
    card_numbers: list[str]


def seed(*, threads: int, stores: int, cards: int) -> Seed:
    from membercard.core.models import Role

    hq, shops = create_stores(stores)
    lift_prepaid_limits(
        staff_actor(Role.HQ_FINANCE, hq, username="bench-finance"), reason="ledger bench"
    )
    product = bench_product()
    sellers = [staff_actor(Role.STORE_CASHIER, shop) for shop in shops]
    card_numbers = sell_new_cards(product, shops, sellers, cards, record=True)
    return Seed(
        cashiers=[staff_actor(Role.STORE_CASHIER, shops[i % stores]) for i in range(threads)],
        card_numbers=card_numbers,
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


def worker(index: int, deadline: float, *, args, seeded: Seed, lookup, tally: Tally) -> None:
    from django.db import connection

    from membercard.cards.reader import barcode_value, track2
    from membercard.core.errors import DomainError
    from membercard.operations import purchase

    rng = random.Random(args.seed * 1_000 + index)
    actor = seeded.cashiers[index]
    readers = (lambda n: n, barcode_value, track2)  # keyed, scanned, swiped
    local = Tally()
    try:
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
            tally.add(local)


tally_lock = threading.Lock()


def run(args: argparse.Namespace) -> int:
    connection = setup_django()
    from django.db import connections

    from membercard.ledger.verify import verify_ledger

    vendor = connection.vendor
    print(f"database:   {describe_database(connection, args.bench_db)}")
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
    elapsed = run_together(
        args.threads,
        args.seconds,
        lambda index, deadline: worker(
            index, deadline, args=args, seeded=seeded, lookup=lookup, tally=tally
        ),
    )
    print(f"threads:    {args.threads}   duration: {elapsed:.2f} s (asked {args.seconds:g} s)")

    lines = {}
    for kind, label in KINDS:
        values = sorted(tally.latencies[kind])
        rate = tally.ok[kind] / elapsed
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        lines[kind] = f"{label}: {rate:.1f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms"
        print(latency_line(label, tally.ok[kind], rate, values, (0.50, 0.99)))
    errors = errors_text(tally.errors)
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
    return run_in_scratch(args, lambda _data_dir: run(args), prefix="membercard-bench-")


if __name__ == "__main__":
    sys.exit(main())
