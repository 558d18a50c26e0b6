"""Business days: an operation belongs to the day of its location's cut-off hour.

Operations before ``MEMBERCARD_DAY_CUTOFF_HOUR`` (default 04:00) in the
installation's time zone count for the previous day, so a late shift closes
into the day it started.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def business_date_for(moment: dt.datetime) -> dt.date:
    local = timezone.localtime(moment)
    return (local - dt.timedelta(hours=settings.MEMBERCARD_DAY_CUTOFF_HOUR)).date()


def today() -> dt.date:
    return business_date_for(timezone.now())
