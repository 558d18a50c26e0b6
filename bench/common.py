"""What the benches in bench/ share: the scratch database, Django set-up, seed helpers,
threads started together, latency figures, and CPU and memory readings.

Not a bench itself; the scripts import it (``bench/`` is on ``sys.path`` when one of them
runs as ``python bench/<name>.py``). Importing it puts the checkout on ``sys.path`` too, so
``membercard`` imports from anywhere.

* Scratch database: :func:`run_in_scratch` never lets a bench touch the real database or data
  folder. It points ``MEMBERCARD_DATA_DIR`` at a new temporary folder and, on PostgreSQL
  (``--database-url``), drops and creates ``--bench-db`` through the ``postgres``
  maintenance database (:func:`recreate_postgres`); on SQLite the default file in that folder
  is used. Both are removed at the end unless ``--keep``.
* :func:`setup_django` runs ``django.setup()`` (after the environment is set) and migrates;
  :func:`describe_database` is the ``database:`` line's text.
* Seed: :func:`create_stores`, :func:`bench_product`, :func:`sell_new_cards`.
* :func:`run_together`: N threads released at once by a barrier, for a given time.
* :class:`Tally`, :func:`percentile`, :func:`latency_line`, :func:`errors_text`: results.
* :func:`peak_mb` (ru_maxrss), :class:`CpuMeter`, :func:`processes`, :func:`cpu_line`.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import threading
import time
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
HOST = "127.0.0.1"  # the API bench: its server and pgbench default, loopback only
INITIAL_VALUE_MINOR = 100_000_000  # 1,000,000.00 per card: purchases rarely run it dry


# The scratch database ------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name`` (scheme normalised to postgresql)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in POSTGRES_SCHEMES else parts.scheme
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, ""))


def _admin(url: str, statement: str, name: str) -> None:
    """Run ``statement`` (``{}`` = the quoted name) in the server's maintenance database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL(statement).format(sql.Identifier(name)))


def recreate_postgres(url: str, name: str) -> str:
    """Drop and create database ``name`` on ``url``'s server; the URL of the new database."""
    drop_postgres(url, name)
    _admin(url, "CREATE DATABASE {}", name)
    return with_database(url, name)


def drop_postgres(url: str, name: str) -> None:
    _admin(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def run_in_scratch(
    args, run: Callable[[str], int], *, prefix: str, options: str = "", kept: str = "{name}"
) -> int:
    """Call ``run(data_dir)`` with the environment on a scratch database; its exit status.

    ``args`` has ``database_url``, ``bench_db`` and ``keep``. ``prefix`` names the temporary
    data folder, ``options`` is added to the PostgreSQL URL's query, and ``kept`` is what
    ``--keep`` prints (``{name}``: the scratch db, or the folder on SQLite; ``{data_dir}``).
    """
    url = args.database_url
    scheme = urlsplit(url).scheme if url else "sqlite"
    data_dir = tempfile.mkdtemp(prefix=prefix)
    # Never the real data folder: its secret key and SQLite file stay untouched.
    os.environ["MEMBERCARD_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "membercard.settings"
    postgres = scheme in POSTGRES_SCHEMES
    try:
        if postgres:
            scratch = recreate_postgres(url, args.bench_db)
            if options:  # dj-database-url turns query parameters into OPTIONS
                scratch += ("&" if "?" in scratch else "?") + options
            os.environ["DATABASE_URL"] = scratch
        elif scheme == "sqlite":
            os.environ.pop("DATABASE_URL", None)  # the default SQLite file in data_dir
        else:
            print(f"unsupported database: {scheme}", file=sys.stderr)
            return 2
        return run(data_dir)
    finally:
        if args.keep:
            name = args.bench_db if postgres else data_dir
            print("kept: " + kept.format(name=name, data_dir=data_dir))
        else:
            if postgres:
                if "django.db" in sys.modules:
                    from django.db import connections

                    connections.close_all()
                drop_postgres(url, args.bench_db)
            shutil.rmtree(data_dir, ignore_errors=True)


def setup_django():
    """``django.setup()`` and ``migrate`` (quietly); the default database connection."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection


def postgres_version(connection) -> str:
    version = connection.cursor().connection.info.server_version
    return f"{version // 10_000}.{version % 10_000}"


def describe_database(connection, bench_db: str) -> str:
    """``PostgreSQL 17.2 (scratch db x)`` or ``SQLite 3.45.1 (scratch file /tmp/...)``."""
    if connection.vendor == "postgresql":
        return f"PostgreSQL {postgres_version(connection)} (scratch db {bench_db})"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (scratch file {connection.settings_dict['NAME']})"


# Seed ----------------------------------------------------------------------------------


def create_stores(stores: int):
    """HQ and ``stores`` stores ``S01``...; (hq, [stores])."""
    from membercard.core.models import Location, LocationKind

    hq = Location.objects.create(code="HQ", name="Head office", kind=LocationKind.HQ)
    shops = [
        Location.objects.create(code=f"S{i:02d}", name=f"Store {i}", kind=LocationKind.STORE)
        for i in range(1, stores + 1)
    ]
    return hq, shops


def staff_actor(role, location, username: str = ""):
    """An Actor for a new staff member without a usable password (argon2 is slow)."""
    from membercard.core.actors import Actor
    from membercard.core.models import Staff

    user = Staff.objects.create_user(
        username=username or f"bench-{uuid.uuid4().hex[:10]}",
        password=None,
        role=role,
        location=location,
    )
    return Actor.for_staff(user)


def lift_prepaid_limits(actor, reason: str) -> None:
    """The bench cards carry far more than a real card may: lift the prepaid limits."""
    from membercard.loyalty.services import set_prepaid_limits

    set_prepaid_limits(
        actor=actor,
        anonymous_limit_minor=10**9,
        registered_limit_minor=10**9,
        reason=reason,
    )


def bench_product(**features):
    """The saved ``bench`` value card product: no PIN (argon2 is deliberately slow)."""
    from membercard.cards.models import CardProduct

    product = CardProduct(
        code="bench",
        name="Bench value card",
        has_stored_value=True,
        rechargeable=True,
        **features,
        has_points=True,
        points_per_unit=1,
        pin_required=False,
        number_prefix="8899",
        number_length=16,
    )
    product.full_clean()
    product.save()
    return product


def sell_new_cards(product, shops, sellers, cards: int, *, record: bool = False) -> list[str]:
    """``cards`` new cards spread over ``shops``, each sold with a large balance; numbers."""
    from membercard.cards import numbers
    from membercard.cards.models import Card
    from membercard.operations import sell_card

    found: set[str] = set()
    while len(found) < cards:
        found.add(numbers.generate_number(product.number_prefix, product.number_length))
    stock = [
        Card(number=number, product=product, location=shops[i % len(shops)])
        for i, number in enumerate(sorted(found))
    ]
    Card.objects.bulk_create(stock)
    if record:
        from membercard.inventory import movements

        movements.record_new_cards(stock, event="card.registered", by=None)
    for i, card in enumerate(stock):
        sell_card(
            actor=sellers[i % len(shops)],
            card_number=card.number,
            initial_value_minor=INITIAL_VALUE_MINOR,
            tender="cash",
            idempotency_key=uuid.uuid4().hex,
        )
    return [card.number for card in stock]


# Threads and results -------------------------------------------------------------------


def run_together(count: int, seconds: float, work: Callable[[int, float], None], **thread):
    """``work(index, deadline)`` in ``count`` threads released together, the deadline
    ``seconds`` after the release; the elapsed seconds from the release to the last end."""
    deadline_box = [0.0]
    barrier = threading.Barrier(
        count + 1,
        action=lambda: deadline_box.__setitem__(0, time.perf_counter() + seconds),
    )

    def target(index: int) -> None:
        barrier.wait()
        work(index, deadline_box[0])

    threads = [
        threading.Thread(target=target, args=(index,), name=f"bench-{index}", **thread)
        for index in range(count)
    ]
    for one in threads:
        one.start()
    barrier.wait()
    for one in threads:
        one.join()
    return time.perf_counter() - (deadline_box[0] - seconds)


@dataclass
class Tally:
    """Successful calls, latencies (seconds) and errors, by kind of call."""

    ok: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"purchase": [], "lookup": []}
    )
    errors: Counter[str] = field(default_factory=Counter)
    first_unexpected: str = ""

    def add(self, other: Tally) -> None:
        self.ok.update(other.ok)
        self.errors.update(other.errors)
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.first_unexpected = self.first_unexpected or other.first_unexpected


KINDS = (("purchase", "purchases"), ("lookup", "lookups"))  # (kind, label) as printed


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list, in milliseconds (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1] * 1000


def latency_line(label: str, ok: int, rate: float, values: list[float], fractions) -> str:
    """``purchases:  123 ok  45.6/s  p50 1.2 ms  p99 3.4 ms  (130 calls)``; sorted values."""
    shown = "  ".join(f"p{round(q * 100)} {percentile(values, q):6.1f} ms" for q in fractions)
    return f"{label + ':':11} {ok:7d} ok  {rate:8.1f}/s  {shown}  ({len(values)} calls)"


def errors_text(errors: Counter[str]) -> str:
    return ", ".join(f"{code}={n}" for code, n in sorted(errors.items())) or "none"


# CPU and memory ------------------------------------------------------------------------


def peak_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(*, parent: int | None = None, cmdline: str | None = None) -> list[int]:
    """Pids of the children of ``parent`` and/or processes whose command line has ``cmdline``."""
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
                used = cpu_of(pid)
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
