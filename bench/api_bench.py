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
   connection with its own terminal key, for ``--seconds`` in two phases: *mixed*
   (``--lookup-share`` look-ups, the rest purchases) and *purchases only*. Prints
   requests/s, p50/p95/p99 latency and errors (by status and problem code) per kind.
4. Runs ``pgbench -i`` and ``pgbench -c 8 -j 2 -T <--pgbench-seconds> -b tpcb-like`` on a
   scratch database of its own on the same server, and prints its TPS and the ratio
   purchases/s (purchases-only phase) / pgbench TPS. The goal is >= 0.4 at 8 clients.
5. With ``--profile``: counts the SQL statements of one look-up and one purchase (in
   process, django.test.Client with CaptureQueriesContext) and profiles ``--profile-calls``
   purchases with cProfile (top functions by own and cumulative time).

Both scratch databases are dropped at the end unless ``--keep``. The server's access log
goes to /dev/null; its error log is printed if it fails.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)  # run as a script from anywhere

from ledger_bench import (  # noqa: E402  (bench/ is not a package)
    POSTGRES_SCHEMES,
    drop_postgres,
    percentile,
    recreate_postgres,
)

INITIAL_VALUE_MINOR = 100_000_000  # 1,000,000.00 a card: purchases rarely run it dry
HOST = "127.0.0.1"


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
    from membercard.cards import numbers
    from membercard.cards.models import Card, CardProduct
    from membercard.core.actors import Actor
    from membercard.core.models import Location, LocationKind, Role, Staff
    from membercard.core.terminals import create_terminal_key
    from membercard.ledger.services import sell_card

    Location.objects.create(code="HQ", name="Head office", kind=LocationKind.HQ)
    shops = [
        Location.objects.create(code=f"S{i:02d}", name=f"Store {i}", kind=LocationKind.STORE)
        for i in range(1, stores + 1)
    ]

    def staff(role: Role, location: Location) -> Actor:
        user = Staff.objects.create_user(
            username=f"bench-{uuid.uuid4().hex[:10]}", password=None, role=role, location=location
        )
        return Actor.for_staff(user)

    try:  # the loyalty app caps what a card may carry; the bench cards carry a lot
        from membercard.loyalty.services import set_prepaid_limits
    except ImportError:
        pass
    else:
        set_prepaid_limits(
            actor=staff(Role.HQ_FINANCE, Location.objects.get(code="HQ")),
            anonymous_limit_minor=10**9,
            registered_limit_minor=10**9,
            reason="API bench",
        )

    product = CardProduct(
        code="bench",
        name="Bench value card",
        has_stored_value=True,
        rechargeable=True,
        has_discount=True,
        discount_rate_bp=500,
        has_points=True,
        points_per_unit=1,
        pin_required=False,
        number_prefix="8899",
        number_length=16,
    )
    product.full_clean()
    product.save()
    sellers = [staff(Role.STORE_CASHIER, shop) for shop in shops]
    found: set[str] = set()
    while len(found) < cards:
        found.add(numbers.generate_number(product.number_prefix, product.number_length))
    stock = [
        Card(number=number, product=product, location=shops[i % stores])
        for i, number in enumerate(sorted(found))
    ]
    Card.objects.bulk_create(stock)
    for i, card in enumerate(stock):
        sell_card(
            actor=sellers[i % stores],
            card_number=card.number,
            initial_value_minor=INITIAL_VALUE_MINOR,
            tender="cash",
            idempotency_key=uuid.uuid4().hex,
        )
    keys = [
        create_terminal_key(store_code=shops[i % stores].code, name=f"bench-{i}")[1]
        for i in range(clients)
    ]
    return Seed(keys=keys, card_numbers=[card.number for card in stock])


# The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """``membercard serve`` in a child process; its error log kept for a post-mortem."""

    def __init__(self, *, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.log: deque[str] = deque(maxlen=200)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "membercard", "serve", "--host", HOST, "--port",
             str(self.port), "--workers", str(workers), "--threads", str(threads)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # the access log: one line a request
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        booted = threading.Event()

        def drain() -> None:
            for line in self.process.stderr:
                self.log.append(line.rstrip())
                if "Booting worker" in line:
                    booted.set()
            booted.set()

        threading.Thread(target=drain, daemon=True).start()
        if not booted.wait(60) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "\n".join(self.log))
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server never answered /healthz:\n" + "\n".join(self.log))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# The clients ---------------------------------------------------------------------------


@dataclass
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"purchase": [], "lookup": []}
    )
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.ok.update(other.ok)
        self.errors.update(other.errors)
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)


def _present(rng: random.Random, number: str) -> str:
    """What a reader types: keyed digits, a barcode, or a magstripe track 2."""
    return rng.choice((number, f"MC{number}", f";{number}=9912?"))


def client(
    index: int, *, port: int, key: str, numbers: list[str], lookup_share: float, stop: float,
    rng: random.Random,
) -> Tally:  # fmt: skip
    tally = Tally()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        while time.perf_counter() < stop:
            number = rng.choice(numbers)
            if rng.random() < lookup_share:
                kind, path = "lookup", "/api/v1/cards/lookup"
                payload = {"input": _present(rng, number)}
                extra = {}
            else:
                kind, path = "purchase", f"/api/v1/cards/{number}/purchases"
                payload = {"amount": rng.randint(100, 5_000), "reference": f"bench-{index}"}
                extra = {"Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                connection.request("POST", path, json.dumps(payload), {**headers, **extra})
                response = connection.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[f"{kind}:{type(exc).__name__}"] += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            tally.latencies[kind].append(time.perf_counter() - started)
            if response.status in (200, 201):
                tally.ok[kind] += 1
            else:
                try:
                    code = json.loads(content).get("code", "?")
                except ValueError:
                    code = "not-json"
                tally.errors[f"{kind}:{response.status}:{code}"] += 1
    finally:
        connection.close()
    return tally


def drive(args, seeded: Seed, port: int, *, seconds: float, lookup_share: float, salt: int):
    """``args.clients`` threads for ``seconds``; the merged tally and the elapsed time."""
    tallies: list[Tally] = []
    lock = threading.Lock()
    stop_box = [0.0]
    barrier = threading.Barrier(
        args.clients + 1,
        action=lambda: stop_box.__setitem__(0, time.perf_counter() + seconds),
    )

    def run(index: int) -> None:
        barrier.wait()
        result = client(
            index,
            port=port,
            key=seeded.keys[index],
            numbers=seeded.card_numbers,
            lookup_share=lookup_share,
            stop=stop_box[0],
            rng=random.Random(args.seed * 1_000 + salt * 100 + index),
        )
        with lock:
            tallies.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = stop_box[0] - seconds
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total, time.perf_counter() - started


def report(name: str, tally: Tally, elapsed: float) -> dict[str, float]:
    rates = {}
    calls = sum(len(v) for v in tally.latencies.values())
    print(f"--- {name}: {calls / elapsed:.1f} requests/s over {elapsed:.1f} s")
    for kind, label in (("purchase", "purchases"), ("lookup", "lookups")):
        values = sorted(tally.latencies[kind])
        if not values:
            continue
        rates[kind] = tally.ok[kind] / elapsed
        p50, p95, p99 = (percentile(values, q) for q in (0.50, 0.95, 0.99))
        print(
            f"{label + ':':11} {tally.ok[kind]:7d} ok  {rates[kind]:8.1f}/s  "
            f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  ({len(values)} calls)"
        )
    errors = ", ".join(f"{code}={n}" for code, n in sorted(tally.errors.items())) or "none"
    print(f"errors:     {errors}")
    return rates


# CPU accounting ------------------------------------------------------------------------


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes(*, parent: int | None = None, cmdline: str | None = None) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if parent is not None:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid != parent:
                    continue
            if cmdline is not None:
                text = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if cmdline not in text:
                    continue
        except (OSError, ValueError):
            continue
        found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU used by groups of processes while it runs: polled every 0.2 s, so processes that
    start and end in between (pgbench's backends) are counted up to their last poll."""

    def __init__(self, groups: dict[str, object]) -> None:
        self.groups = groups  # name -> callable returning the pids of that group now
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group_of: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _sample(self, *, first: bool = False) -> None:
        for name, pids in self.groups.items():
            for pid in pids():
                used = _cpu_of(pid)
                if used is None:
                    continue
                # Alive at the start: count from there; started since: count all of it.
                self.start.setdefault(pid, used if first else 0.0)
                self.group_of[pid] = name
                self.last[pid] = used

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        used: Counter[str] = Counter()
        for pid, last in self.last.items():
            used[self.group_of[pid]] += last - self.start[pid]
        return dict(used)


def cpu_line(what: str, seconds: dict[str, float], count: float) -> str:
    parts = ", ".join(f"{name} {used / count * 1000:.2f} ms" for name, used in seconds.items())
    total = sum(seconds.values()) / count * 1000
    return f"cpu:        per {what}: {parts}; total {total:.2f} ms"


# pgbench -------------------------------------------------------------------------------


def find_pgbench() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise RuntimeError("pgbench not found (Debian: apt-get install postgresql-contrib)")
    return found


def run_pgbench(args, url: str) -> float:
    """``pgbench -i`` then tpcb-like with 8 clients and 2 threads; its TPS."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    where = ["-h", parts.hostname or HOST, "-p", str(parts.port or 5432)]
    if parts.username:
        where += ["-U", unquote(parts.username)]
    pgbench = find_pgbench()
    recreate_postgres(url, args.pgbench_db)
    try:
        subprocess.run(
            [pgbench, *where, "-i", "-q", "-s", str(args.pgbench_scale), args.pgbench_db],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        command = [pgbench, *where, "-c", "8", "-j", "2", "-T", str(round(args.pgbench_seconds)),
                   "-b", "tpcb-like", args.pgbench_db]  # fmt: skip
        print("pgbench:    " + " ".join(command[1:]))
        meter = CpuMeter(
            {
                "PostgreSQL": lambda: _processes(cmdline=f" {args.pgbench_db} "),
                "pgbench": lambda: _processes(cmdline="-b tpcb-like"),
            }
        )
        with meter:
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    finally:
        if not args.keep:
            drop_postgres(url, args.pgbench_db)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if match is None:
        raise RuntimeError("cannot read pgbench's TPS:\n" + done.stdout)
    lines = [line for line in done.stdout.splitlines() if "latency average" in line]
    tps = float(match.group(1))
    print(f"pgbench:    tps {tps:.1f}  {' '.join(lines)}")
    transactions = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if transactions:
        print(cpu_line("pgbench transaction", meter.seconds(), int(transactions.group(1))))
    return tps


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
    from membercard.ledger.services import purchase

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
    ("    ledger purchase service (its transaction)", "ledger/services/payments.py", "purchase"),
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
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    version = connection.cursor().connection.info.server_version
    binding = "server-side binding, " if args.server_side_binding else ""
    print(f"database:   PostgreSQL {version // 10_000}.{version % 10_000} ({binding}scratch db "
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
        meter = CpuMeter(
            {
                "app": lambda: [server.process.pid, *_processes(parent=server.process.pid)],
                "PostgreSQL": lambda: _processes(cmdline=f" {args.bench_db} "),
                "bench clients": lambda: [os.getpid()],
            }
        )
        with meter:
            only, only_s = drive(
                args, seeded, server.port, seconds=args.seconds, lookup_share=0.0, salt=2
            )
        rates = report("purchases only", only, only_s)
        print(cpu_line("purchase", meter.seconds(), max(only.ok["purchase"], 1)))
    finally:
        server.stop()
        if server.process.returncode not in (0, -15, None):
            print("server log:\n" + "\n".join(server.log), file=sys.stderr)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load:       {load} (1, 5, 15 min) after the HTTP phases")
    tps = run_pgbench(args, url)
    purchases = rates.get("purchase", 0.0)
    print(
        f"ratio:      purchases/s {purchases:.1f} / pgbench tps {tps:.1f} = "
        f"{purchases / tps:.3f} (goal >= 0.4 at 8 clients)"
    )
    if args.profile:
        profile(args, seeded)
    connections.close_all()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    data_dir = tempfile.mkdtemp(prefix="membercard-api-bench-")
    os.environ["MEMBERCARD_DATA_DIR"] = data_dir  # never the real data folder
    os.environ["DJANGO_SETTINGS_MODULE"] = "membercard.settings"
    try:
        scratch = recreate_postgres(url, args.bench_db)
        if args.server_side_binding:  # dj-database-url turns query parameters into OPTIONS
            scratch += ("&" if "?" in scratch else "?") + "server_side_binding=true"
        os.environ["DATABASE_URL"] = scratch
        return run(args, url, data_dir)
    finally:
        if args.keep:
            print(f"kept: {args.bench_db}, {args.pgbench_db}, {data_dir}")
        else:
            drop_postgres(url, args.bench_db)
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
