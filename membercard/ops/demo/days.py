"""The demo's week: history on past business days, closed by the store managers, and HQ
finance's record of the stores' deposits, so the day close, the Z report, the
reconciliation board and the daily reports have a week to show, not one open day.

The real services run under a travelled clock (time-machine): operations, stock movements,
business days and seals are written exactly as they would have been on that day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import time_machine
from django.utils import timezone

from membercard.core.calendar import today
from membercard.days.closing import close_day, record_deposit
from membercard.days.models import BusinessDay, DayState
from membercard.days.reconciliation import TenderFigures, day_figures, reconciliation_rows
from membercard.ledger.models import Tender
from membercard.ops.demo.setup import DemoRun

# How many business days ago each part of the history happens (0: today).
STOCK_DAY, SALES_DAY, TOP_UP_DAY = 7, 6, 5
SHOPPING_DAYS = (4, 3, 2, 1, 0)
STORE_MANAGERS = {"S01": "manager1", "S02": "manager2"}
# For finance to look into: a till short at close, a deposit received short and one not
# received yet (store, business days ago[, amount short]).
SHORT_TILL = ("S02", TOP_UP_DAY, 1_000)
SHORT_DEPOSIT = ("S01", SALES_DAY, 5_000)
NO_DEPOSIT_YET = ("S02", SALES_DAY)


@contextlib.contextmanager
def on_day(days_ago: int, hour: int = 11) -> Iterator[None]:
    """Run the block ``days_ago`` business days before today at ``hour`` local time; the
    clock ticks on from there. ``days_ago=0`` runs it now."""
    if days_ago == 0:
        yield
        return
    day = today() - dt.timedelta(days=days_ago)
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=True):
        yield


def close_past_days(run: DemoRun) -> None:
    """Each store's manager closes every past day in the evening with the takings counted
    (one till short, with a comment); the next morning HQ finance records the deposit of
    every day but yesterday's (one short), so the board shows every status."""
    past = BusinessDay.objects.filter(state=DayState.OPEN, business_date__lt=today())
    for day in past.select_related("location").order_by("business_date", "location__code"):
        code, on = day.location.code, day.business_date
        days_ago = (today() - on).days
        figures = day_figures(day.location, on)
        counted = {t: figures.tenders.get(t, TenderFigures()).total for t in Tender.values}
        comment = ""
        if (code, days_ago) == SHORT_TILL[:2]:
            tender = max(counted, key=counted.get)  # the drawer with the most in it
            counted[tender] = max(counted[tender] - SHORT_TILL[2], 0)
            comment = "Takings short at close; cashier informed."
        with on_day(days_ago, hour=21):
            close_day(
                actor=run.actor(STORE_MANAGERS[code]),
                counted=counted,
                comment=comment,
                business_date=on,
            )
        run.tally["days closed"] += 1
        if days_ago > 1 and (code, days_ago) != NO_DEPOSIT_YET:
            _deposit(run, code, on, days_ago)
    run.say(f"  {run.tally['days closed']} store days closed, {run.tally['deposits']} deposits")


def _deposit(run: DemoRun, code: str, on: dt.date, days_ago: int) -> None:
    (row,) = reconciliation_rows(on, on, code)
    amount = max(row.net_settlement, 0)
    if (code, days_ago) == SHORT_DEPOSIT[:2]:
        amount = max(amount - SHORT_DEPOSIT[2], 0)
    if amount == 0:
        return
    with on_day(days_ago - 1, hour=10):
        record_deposit(
            actor=run.actor("finance"),
            location_code=code,
            business_date=on,
            amount_minor=amount,
            idempotency_key=run.key(),
            reference=f"BANK-{code}-{on:%Y%m%d}",
        )
    run.tally["deposits"] += 1
