"""A clock for report tests: history on several business days without waiting for them.

``clock`` moves ``django.utils.timezone.now`` (and the model fields that default to it)
to a chosen moment; ``clock.next_day()`` goes to noon of the next business day."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from tests import factories as f

_real_now = timezone.now


class Clock:
    def __init__(self) -> None:
        start = timezone.localtime(_real_now()) - dt.timedelta(days=400)
        self.moment = start.replace(hour=12, minute=0, second=0, microsecond=0)

    def __call__(self) -> dt.datetime:
        self.moment += dt.timedelta(microseconds=1)  # distinct, increasing timestamps
        return self.moment

    def next_day(self, days: int = 1) -> None:
        self.moment += dt.timedelta(days=days)

    @property
    def day(self) -> dt.date:
        from membercard.core.calendar import business_date_for

        return business_date_for(self.moment)


@pytest.fixture
def clock():
    fake = Clock()
    with (
        mock.patch("django.utils.timezone.now", fake),
        mock.patch.multiple(
            "django.db.models.fields.Field", get_default=_patched_get_default(fake)
        ),
    ):
        yield fake


def _patched_get_default(fake):
    original = __import__("django.db.models.fields", fromlist=["Field"]).Field.get_default

    def get_default(self):
        if getattr(self, "default", None) is _real_now:
            return fake()
        return original(self)

    return get_default


@pytest.fixture
def shop(db):
    """HQ, a store with its manager and cashier, a rechargeable product stores may top up."""
    hq = f.hq()
    store = f.store("S01")
    product = f.product(stores_may_top_up=True, bonus_rules=[[50_000, 5_000]])
    return {
        "hq": hq,
        "store": store,
        "product": product,
        "cashier": f.actor(f.Role.STORE_CASHIER, store),
        "manager": f.actor(f.Role.STORE_MANAGER, store),
    }
