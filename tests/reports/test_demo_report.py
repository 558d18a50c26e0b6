"""The demo data's sales-and-inventory report ties out: live on the demo's day, and again
from stored rollups once that day is over."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from membercard.reports.models import RolledDay
from membercard.reports.sales_inventory import sales_inventory
from membercard.reports.verify import verify_rollups

pytestmark = pytest.mark.django_db


def test_demo_ties_out_live_and_from_rollups(clock):
    call_command("demo", stdout=StringIO())
    day = clock.day

    live = sales_inventory(day, day)
    clock.next_day()
    rolled = sales_inventory(day, day)

    assert live.ties_out, live.checks
    assert rolled.ties_out, rolled.checks
    assert RolledDay.objects.filter(business_date=day).exists()
    assert rolled.totals == live.totals
    assert live.totals.sold > 0 and live.totals.face_value_sold > 0
    assert live.totals.consumption_principal > 0 and live.totals.produced_received > 0
    assert verify_rollups().problems == []
