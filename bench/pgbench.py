"""pgbench for bench/api_bench.py: ``pgbench -i`` and a tpcb-like run on a scratch database
of its own on the same server, with its TPS and CPU per transaction."""

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
                "PostgreSQL": lambda: processes(cmdline=f" {args.pgbench_db} "),
                "pgbench": lambda: processes(cmdline="-b tpcb-like"),
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
