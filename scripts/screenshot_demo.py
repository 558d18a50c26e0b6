"""The scratch demo behind ``make screenshots``: the demo's data served by ``membercard
serve`` on a free port, and the demo cards worth showing."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Demo logins (membercard/ops/demo/catalog.py).
CASHIER = ("cashier1", "cashier123")
MANAGER = ("manager1", "manager123")
MANAGER2 = ("manager2", "manager123")
STOCK_KEEPER = ("stock", "stock123")
ADMIN = ("admin", "admin123")
FINANCE = ("finance", "finance123")


def say(message: str) -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def membercard(*args: str) -> list[str]:
    return [sys.executable, "-m", "membercard", *args]


@contextlib.contextmanager
def server(port: int, log: Path) -> Iterator[str]:
    """``membercard serve`` on ``port`` until the block ends."""
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            membercard("serve", "--port", str(port), "--workers", "1"),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"membercard serve stopped: see {log}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"membercard serve did not answer: see {log}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class DemoCards:
    """Demo cards to show: one to swipe at S01 (active, no PIN, money on it), one in S01's
    stock to sell, and the mobile of a member with a card at S01 (to find a lost card)."""

    to_swipe: str
    to_sell: str
    member_mobile: str = ""


def pick_demo_cards() -> DemoCards:
    """Read from the scratch database (this process points Django at it)."""
    import django

    django.setup()
    from membercard.cards.models import Card
    from membercard.cards.states import CardState
    from membercard.ledger.models import AccountKind

    active = (
        Card.objects.filter(
            state=CardState.ACTIVE,
            sold_at__code="S01",
            product__pin_required=False,
            product__has_stored_value=True,
            accounts__kind=AccountKind.CARD_PRINCIPAL,
            accounts__balance__gte=20_000,
        )
        .order_by("-product__has_points", "-product__has_discount", "number")
        .first()
    )
    stock = (
        Card.objects.filter(state=CardState.IN_STOCK, location__code="S01")
        .order_by("number")
        .first()
    )
    if active is None or stock is None:
        raise SystemExit("the demo has no active card or no stock card at S01")
    member = (
        Card.objects.filter(state=CardState.ACTIVE, sold_at__code="S01", member__isnull=False)
        .select_related("member")
        .order_by("number")
        .first()
    )
    mobile = member.member.mobile if member is not None else ""
    return DemoCards(to_swipe=active.number, to_sell=stock.number, member_mobile=mobile)
