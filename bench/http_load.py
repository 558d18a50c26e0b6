"""HTTP side of bench/api_bench.py: ``membercard serve`` in a child process on a free
loopback port (:class:`Server`), keep-alive ``http.client`` clients posting look-ups and
purchases with their terminal keys (:func:`client`, :func:`drive`), and the per-phase
figures (:func:`report`)."""

from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque

from common import HOST, KINDS, ROOT, Tally, errors_text, latency_line, run_together

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


def drive(args, seeded, port: int, *, seconds: float, lookup_share: float, salt: int):
    """``args.clients`` threads for ``seconds`` with the terminal keys and card numbers of
    ``seeded`` (api_bench's Seed); the merged tally and the elapsed time."""
    total = Tally()
    lock = threading.Lock()

    def run(index: int, stop: float) -> None:
        result = client(
            index,
            port=port,
            key=seeded.keys[index],
            numbers=seeded.card_numbers,
            lookup_share=lookup_share,
            stop=stop,
            rng=random.Random(args.seed * 1_000 + salt * 100 + index),
        )
        with lock:
            total.add(result)

    elapsed = run_together(args.clients, seconds, run)
    return total, elapsed


def report(name: str, tally: Tally, elapsed: float) -> dict[str, float]:
    rates = {}
    calls = sum(len(v) for v in tally.latencies.values())
    print(f"--- {name}: {calls / elapsed:.1f} requests/s over {elapsed:.1f} s")
    for kind, label in KINDS:
        values = sorted(tally.latencies[kind])
        if not values:
            continue
        rates[kind] = tally.ok[kind] / elapsed
        print(latency_line(label, tally.ok[kind], rates[kind], values, (0.50, 0.95, 0.99)))
    print(f"errors:     {errors_text(tally.errors)}")
    return rates
