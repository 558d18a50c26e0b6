"""API bench: look-ups and purchases over HTTP against ``membercard serve`` on PostgreSQL,
next to pgbench on the same server.

Run from the checkout (PostgreSQL only; loopback only)::

    .venv/bin/python bench/api_bench.py --clients 8 --seconds 15 --workers 4
    .venv/bin/python bench/api_bench.py --database-url postgresql://postgres@127.0.0.1:5432/x \\
        --clients 8 --seconds 15 --workers 4 --profile

What it does, in one run:

1. Drops and creates the scratch database ``--bench-db`` (default ``membercard_api_bench``)
   on the server of ``--database-url`` (default ``$DATABASE_URL``), migrates and seeds it:
   HQ, ``--stores`` stores, one terminal key per client, a card product without PIN (with
   discount and points), ``--cards`` cards sold with a large balance (prepaid limits are
   raised for the bench).
2. Starts ``membercard serve`` (gunicorn, ``--workers`` processes of ``--threads`` threads)
   on a free loopback port against the scratch database, with the API throttle out of
   reach (its database counter is still written on every card read).
3. Drives it with ``--clients`` threads, each on its own keep-alive ``http.client``
   connection with its own terminal key, for ``--seconds`` in three phases: *mixed*
   (``--lookup-share`` look-ups, the rest purchases), *purchases only* and *look-ups
   only*. Prints requests/s, p50/p95/p99 latency and errors (by status and problem code)
   per kind, and the CPU per purchase and per look-up.
4. Runs ``pgbench -i``, then ``pgbench -c 8 -j 2 -T <--pgbench-seconds>`` with
   ``-b tpcb-like`` and with ``-b select-only`` on a scratch database of its own on the
   same server, and prints their TPS and the ratios purchases/s / tpcb-like TPS (goal
   >= 0.4) and look-ups/s / select-only TPS (goal >= 0.1), at 8 clients.
5. With ``--profile``: counts the SQL statements of one look-up and one purchase (in
   process, django.test.Client with CaptureQueriesContext) and profiles ``--profile-calls``
   purchases with cProfile (top functions by own and cumulative time).

Both scratch databases are dropped at the end unless ``--keep``. The server's access log
goes to /dev/null; its error log is printed if it fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from common import (
    HOST,
    POSTGRES_SCHEMES,
    CpuMeter,
    bench_product,
    cpu_line,
    create_stores,
    lift_prepaid_limits,
    postgres_version,
    processes,
    run_in_scratch,
    sell_new_cards,
    setup_django,
    staff_actor,
)
from http_load import Server, drive, report
from pgbench import run_pgbench


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, not counted")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--lookup-share", type=float, default=0.5, help="in the mixed phase")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--bench-db", default="membercard_api_bench")
    parser.add_argument("--pgbench-db", default="membercard_api_pgbench")
    parser.add_argument("--pgbench-seconds", type=float, default=None, help="default --seconds")
    parser.add_argument("--pgbench-scale", type=int, default=1, help="pgbench -i -s")
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="Django's psycopg option: bind parameters on the server, so psycopg prepares "
        "statements it runs often (PostgreSQL parses and plans them once per connection)",
    )
    parser.add_argument("--profile", action="store_true", help="count queries, cProfile")
    parser.add_argument("--profile-calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args(argv)
    if min(args.clients, args.workers, args.threads, args.cards, args.stores) < 1:
        parser.error("--clients, --workers, --threads, --cards and --stores must be positive")
    if args.seconds <= 0 or not 0 <= args.lookup_share <= 1:
        parser.error("--seconds > 0 and 0 <= --lookup-share <= 1")
    for name in (args.bench_db, args.pgbench_db):
        if not name.replace("_", "").isalnum():
            parser.error("database names: letters, digits and underscores only")
    if urlsplit(args.database_url).scheme not in POSTGRES_SCHEMES:
        parser.error("the API bench needs PostgreSQL: --database-url or $DATABASE_URL")
    args.pgbench_seconds = args.pgbench_seconds or args.seconds
    return args


# Seed ----------------------------------------------------------------------------------


@dataclass
class Seed:
    keys: list[str]  # one terminal key per client
    card_numbers: list[str]


def seed(*, clients: int, stores: int, cards: int) -> Seed:
    from membercard.core.models import Role
    from membercard.core.terminals import create_terminal_key

    hq, shops = create_stores(stores)
    with contextlib.suppress(ImportError):  # the loyalty app caps what a card may carry
        lift_prepaid_limits(staff_actor(Role.HQ_FINANCE, hq), reason="API bench")
    product = bench_product(has_discount=True, discount_rate_bp=500)
    sellers = [staff_actor(Role.STORE_CASHIER, shop) for shop in shops]
    card_numbers = sell_new_cards(product, shops, sellers, cards)
    keys = [
        create_terminal_key(store_code=shops[i % stores].code, name=f"bench-{i}")[1]
        for i in range(clients)
    ]
    return Seed(keys=keys, card_numbers=card_numbers)


# Profile -------------------------------------------------------------------------------


def profile(args, seeded: Seed) -> None:
    """Where a purchase's time goes, in process: SQL statements, then cProfile."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="localhost", headers={"Authorization": f"Bearer {seeded.keys[0]}"})
    number = seeded.card_numbers[0]

    def buy() -> None:
        response = client.post(
            f"/api/v1/cards/{number}/purchases",
            data='{"amount": 1234}',
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.content

    def look() -> None:
        response = client.post(
            "/api/v1/cards/lookup", data=json.dumps({"input": number}),
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 200, response.content

    buy(), look()  # warm caches
    for name, call in (("lookup", look), ("purchase", buy)):
        with CaptureQueriesContext(connection) as queries:
            call()
        kinds = Counter(_statement_kind(q["sql"]) for q in queries)
        summary = ", ".join(f"{k} x{n}" for k, n in kinds.most_common())
        print(f"queries:    {name}: {len(queries)} statements: {summary}")
    timed: Counter[str] = Counter()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            buy()
    for query in queries:
        timed[_statement_kind(query["sql"])] += float(query["time"])
    slowest = ", ".join(f"{k} {t / 50 * 1000:.2f} ms" for k, t in timed.most_common(8))
    print(f"queries:    purchase, wall time per statement kind (round trip): {slowest}")

    from membercard.core.actors import Actor
    from membercard.core.terminals import authenticate_key
    from membercard.operations import purchase

    actor = Actor.for_terminal(authenticate_key(seeded.keys[0]))
    spent = {"service": 0.0, "api": 0.0}
    for _ in range(args.profile_calls):  # interleaved, so both see the same machine load
        started = time.perf_counter()
        purchase(
            actor=actor, card_number=number, amount_minor=1234, idempotency_key=uuid.uuid4().hex
        )
        spent["service"] += time.perf_counter() - started
        started = time.perf_counter()
        buy()
        spent["api"] += time.perf_counter() - started
    service_ms, api_ms = (spent[k] / args.profile_calls * 1000 for k in ("service", "api"))
    print(
        f"in process: ledger purchase service alone {service_ms:.2f} ms; the same through the "
        f"API {api_ms:.2f} ms (API layer {api_ms - service_ms:.2f} ms); {args.profile_calls} "
        "calls each, interleaved, one thread"
    )

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.profile_calls):
        buy()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"profile:    {args.profile_calls} purchases in process: "
        f"{elapsed / args.profile_calls * 1000:.2f} ms each"
    )
    stats = pstats.Stats(profiler)
    print("--- where a purchase's time goes (cumulative, per purchase)")
    for label, where, name in BREAKDOWN:
        total = sum(
            entry[3]
            for (filename, _, function), entry in stats.stats.items()
            if function == name and filename.endswith(where)
        )
        print(f"  {label:52} {total / args.profile_calls * 1000:7.2f} ms")
    for order in ("tottime", "cumulative"):
        print(f"--- top functions by {order}")
        stats.sort_stats(order).print_stats(15)


# (label, file name ending, function name) of the parts of a purchase request.
BREAKDOWN = [
    ("request, end to end (Django test client)", "django/test/client.py", "request"),
    ("  django-ninja operation (auth, parse, view)", "ninja/operation.py", "run"),
    ("    terminal key check (1 SELECT, last_used_at)", "membercard/api/auth.py", "authenticate"),
    ("    purchase operation (its transaction)", "operations/payments.py", "purchase"),
    ("    response: balances after (1 SELECT) + JSON", "membercard/api/render.py", "operation_out"),
    ("  all SQL round trips (psycopg execute)", "psycopg/cursor.py", "execute"),
    ("  SQL compilation (Django ORM as_sql)", "django/db/models/sql/compiler.py", "as_sql"),
]


def _statement_kind(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper() if words else "?"
    table = ""
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in words:
            position = words.index(marker) + 1
            if position < len(words):
                table = words[position].strip('"')
                break
    return f"{verb} {table}".strip()


# Main ----------------------------------------------------------------------------------


def run(args: argparse.Namespace, url: str, data_dir: str) -> int:
    connection = setup_django()
    from django.db import connections

    binding = "server-side binding, " if args.server_side_binding else ""
    print(f"database:   PostgreSQL {postgres_version(connection)} ({binding}scratch db "
          f"{args.bench_db}); {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    started = time.perf_counter()
    seeded = seed(clients=args.clients, stores=args.stores, cards=args.cards)
    print(
        f"seeded:     {args.cards} cards at {args.stores} stores, {args.clients} terminal keys "
        f"in {time.perf_counter() - started:.1f} s"
    )
    connections.close_all()

    env = dict(os.environ)
    env.update(
        MEMBERCARD_API_THROTTLE_PER_KEY=str(10**9),
        MEMBERCARD_API_THROTTLE_PER_ADDRESS=str(10**9),
        MEMBERCARD_LOG_LEVEL="WARNING",
    )
    server = Server(env=env, workers=args.workers, threads=args.threads)
    print(
        f"server:     membercard serve --workers {args.workers} --threads {args.threads} "
        f"on {HOST}:{server.port}; {args.clients} clients, keep-alive"
    )
    try:
        drive(args, seeded, server.port, seconds=args.warmup, lookup_share=0.5, salt=9)
        mixed, mixed_s = drive(
            args, seeded, server.port, seconds=args.seconds, lookup_share=args.lookup_share, salt=1
        )
        report(f"mixed ({args.lookup_share:.0%} look-ups)", mixed, mixed_s)
        with (meter := cpu_meter(args, server)):
            only, only_s = drive(
                args, seeded, server.port, seconds=args.seconds, lookup_share=0.0, salt=2
            )
        rates = report("purchases only", only, only_s)
        print(cpu_line("purchase", meter.seconds(), max(only.ok["purchase"], 1)))
        with (meter := cpu_meter(args, server)):
            reads, reads_s = drive(
                args, seeded, server.port, seconds=args.seconds, lookup_share=1.0, salt=3
            )
        rates |= report("look-ups only", reads, reads_s)
        print(cpu_line("look-up", meter.seconds(), max(reads.ok["lookup"], 1)))
    finally:
        server.stop()
        if server.process.returncode not in (0, -15, None):
            print("server log:\n" + "\n".join(server.log), file=sys.stderr)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load:       {load} (1, 5, 15 min) after the HTTP phases")
    tps = run_pgbench(args, url)
    purchases, lookups = rates.get("purchase", 0.0), rates.get("lookup", 0.0)
    tpcb, select = tps["tpcb-like"], tps["select-only"]
    print(
        f"ratio:      purchases/s {purchases:.1f} / pgbench tpcb-like tps {tpcb:.1f} = "
        f"{purchases / tpcb:.3f} (goal >= 0.4 at 8 clients)"
    )
    print(
        f"ratio:      look-ups/s {lookups:.1f} / pgbench select-only tps {select:.1f} = "
        f"{lookups / select:.4f} (goal >= 0.1 at 8 clients)"
    )
    if args.profile:
        profile(args, seeded)
    connections.close_all()
    return 0


def cpu_meter(args, server: Server) -> CpuMeter:
    """CPU of the server, its database's backends and this process over one phase."""
    return CpuMeter(
        {
            "app": lambda: [server.process.pid, *processes(parent=server.process.pid)],
            "PostgreSQL": lambda: processes(cmdline=f" {args.bench_db} "),
            "bench clients": lambda: [os.getpid()],
        }
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_scratch(
        args,
        lambda data_dir: run(args, args.database_url, data_dir),
        prefix="membercard-api-bench-",
        options="server_side_binding=true" if args.server_side_binding else "",
        kept=f"{{name}}, {args.pgbench_db}, {{data_dir}}",
    )


if __name__ == "__main__":
    sys.exit(main())
