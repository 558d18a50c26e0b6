"""pgbench for bench/api_bench.py: ``pgbench -i``, then a tpcb-like and a select-only run on
a scratch database of its own on the same server, with their TPS and CPU per transaction."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from urllib.parse import unquote, urlsplit

from common import HOST, CpuMeter, cpu_line, drop_postgres, processes, recreate_postgres


def find_pgbench() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise RuntimeError("pgbench not found (Debian: apt-get install postgresql-contrib)")
    return found


BUILTINS = ("tpcb-like", "select-only")


def run_pgbench(args, url: str) -> dict[str, float]:
    """``pgbench -i``, then each of ``BUILTINS`` with 8 clients and 2 threads; their TPS."""
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
        return {builtin: _run(args, pgbench, where, env, builtin) for builtin in BUILTINS}
    finally:
        if not args.keep:
            drop_postgres(url, args.pgbench_db)


def _run(args, pgbench: str, where: list[str], env: dict, builtin: str) -> float:
    command = [pgbench, *where, "-c", "8", "-j", "2", "-T", str(round(args.pgbench_seconds)),
               "-b", builtin, args.pgbench_db]  # fmt: skip
    print("pgbench:    " + " ".join(command[1:]))
    meter = CpuMeter(
        {
            "PostgreSQL": lambda: processes(cmdline=f" {args.pgbench_db} "),
            "pgbench": lambda: processes(cmdline=f"-b {builtin}"),
        }
    )
    with meter:
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if match is None:
        raise RuntimeError("cannot read pgbench's TPS:\n" + done.stdout)
    lines = [line for line in done.stdout.splitlines() if "latency average" in line]
    tps = float(match.group(1))
    print(f"pgbench:    {builtin} tps {tps:.1f}  {' '.join(lines)}")
    transactions = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if transactions:
        count = int(transactions.group(1))
        print(cpu_line(f"pgbench {builtin} transaction", meter.seconds(), count))
    return tps
