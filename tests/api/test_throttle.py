"""Card reads are throttled per key and per client address, counted in the database (exact
under concurrency and across processes); misses per key and day are visible to HQ."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from membercard.api import selectors, throttle
from membercard.cards import lookups
from membercard.cards.models import LookupCounter, LookupMiss
from tests import factories as f
from tests.api.conftest import API, make_till, problem, run_threads, unused_number

pytestmark = pytest.mark.django_db

NOW = 1_800_000_030.25  # 30.25 s into a minute


@pytest.fixture
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr(lookups, "_now", lambda: now[0])
    return now


@pytest.fixture
def limits(settings):
    settings.MEMBERCARD_API_THROTTLE_PER_KEY = 3
    settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS = 5
    return settings


def test_a_key_is_throttled_exactly_after_its_limit(till, card, clock, limits):
    reads = [
        lambda: till.get(f"/cards/{card.number}"),
        lambda: till.post("/cards/lookup", {"input": card.number}),
        lambda: till.get(f"/cards/{card.number}/operations"),
    ]
    assert [read().status_code for read in reads] == [200, 200, 200]
    response = till.get(f"/cards/{card.number}")
    assert response.status_code == 429
    details = problem(response)
    assert details["code"] == "throttled"
    assert response["Retry-After"] == "30"  # 29.75 s left in the window, rounded up
    assert details["retry_after"] == 30

    clock[0] = NOW + 30  # the next window
    assert till.get(f"/cards/{card.number}").status_code == 200


def test_the_address_limit_covers_every_key_behind_it(till, card, clock, limits, shop):
    second = make_till("S01", "till-2")
    statuses = [till.get(f"/cards/{card.number}").status_code for _ in range(3)]
    statuses += [second.get(f"/cards/{card.number}").status_code for _ in range(3)]
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert problem(second.get(f"/cards/{card.number}"))["detail"].endswith("try again in 30 s.")
    # Another address is counted on its own (its key still has room).
    other = second.client.get(f"{API}/cards/{card.number}", REMOTE_ADDR="10.0.0.7")
    assert other.status_code == 429  # till-2's key already had 3 reads
    third = make_till("S01", "till-3")
    elsewhere = third.client.get(f"{API}/cards/{card.number}", REMOTE_ADDR="10.0.0.7")
    assert elsewhere.status_code == 200


def test_behind_a_trusted_proxy_each_till_is_counted_by_its_forwarded_address(card, clock, limits):
    # Every request arrives from the proxy's address; the proxy names the till.
    limits.MEMBERCARD_TRUSTED_PROXY = True
    tills = [make_till("S01", f"till-{n}") for n in range(1, 4)]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def read(index: int, till_address: str) -> int:
        forwarded = {"HTTP_X_FORWARDED_FOR": f"203.0.113.9, {till_address}"}
        url = f"{API}/cards/{card.number}"
        return tills[index].client.get(url, **proxy, **forwarded).status_code

    # Five reads from one till address, over two keys: the address limit (5) is reached.
    assert [read(0, "192.168.1.21") for _ in range(3)] + [
        read(1, "192.168.1.21") for _ in range(2)
    ] == [200] * 5
    assert read(1, "192.168.1.21") == 429
    # Another till behind the same proxy still has its own room.
    assert read(2, "192.168.1.22") == 200


def test_money_requests_are_not_throttled_while_they_hit(till, card, clock, limits):
    for _ in range(6):
        response = till.post(f"/cards/{card.number}/purchases", {"amount": 10}, key=f.key())
        assert response.status_code == 201


def test_money_requests_that_miss_count_and_are_throttled(till, product, clock, limits):
    def miss() -> str:
        path = f"/cards/{unused_number(product)}/purchases"
        return till.post(path, {"amount": 10}, key=f.key()).json()["code"]

    assert [miss() for _ in range(4)] == ["card_not_found"] * 3 + ["throttled"]
    assert LookupMiss.objects.get().misses == 4


def test_old_windows_are_cleared(till, card, clock):
    till.get(f"/cards/{card.number}")
    clock[0] = NOW + 2 * throttle.KEEP_SECONDS
    till.get(f"/cards/{card.number}")
    assert set(LookupCounter.objects.values_list("window_start", flat=True)) == {
        throttle.current_window().start
    }


def test_misses_are_kept_per_key_and_day_for_hq(till, other_till, product, card):
    for number in (unused_number(product), "8810000000000018", unused_number(product)):
        till.post("/cards/lookup", {"input": number})
    other_till.get(f"/cards/{unused_number(product)}")
    till.get(f"/cards/{card.number}")  # a hit is no miss

    rows = list(selectors.lookup_misses())
    assert [(row.terminal.name, row.misses) for row in rows] == [("till-1", 3), ("till-9", 1)]
    assert rows[0].day == timezone.localdate()
    assert rows[0].last_address == "127.0.0.1"
    assert [r.misses for r in selectors.lookup_misses(location=till.terminal.location)] == [3]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert not selectors.lookup_misses(since=tomorrow).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_are_counted_exactly(till, card, clock, settings):
    """Threads with their own connections hit one key at once: exactly the limit pass."""
    settings.MEMBERCARD_API_THROTTLE_PER_KEY = 17
    settings.MEMBERCARD_API_THROTTLE_PER_ADDRESS = 1_000

    def read(index: int) -> list[int]:
        client = Client(headers={"Authorization": f"Bearer {till.key}"})
        return [client.get(f"{API}/cards/{card.number}").status_code for _ in range(5)]

    statuses = [status for batch in run_threads(8, read) for status in batch]
    assert sorted(statuses).count(200) == 17
    assert statuses.count(429) == 40 - 17
    counter = LookupCounter.objects.get(bucket=f"key:{till.terminal.pk}")
    assert counter.hits == 40
