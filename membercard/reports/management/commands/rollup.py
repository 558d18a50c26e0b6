"""``membercard rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--rebuild]``: roll up the
complete business days not rolled up yet (a nightly job; reports also do it on demand).
``--rebuild`` recomputes the days in the range even if stored (after a restore, say)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from membercard.reports import rollups


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Roll up complete business days for the reports."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="date_from", default=None)
        parser.add_argument("--to", dest="date_to", default=None)
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, date_from=None, date_to=None, rebuild=False, **options) -> None:
        start, end = _date(date_from), _date(date_to)
        if rebuild:
            start = start or rollups.history_start()
            end = min(end or rollups.last_complete_day(), rollups.last_complete_day())
            if start is None or start > end:
                self.stdout.write("rollup: nothing to rebuild")
                return
            from membercard.reports.models import CheckedMonth, MonthCheckpoint

            wanted = list(rollups.days(start, end))
            for run in rollups._runs(wanted):
                rollups.store_days(rollups.compute_days(run[0], run[-1]), run)
            # Checkpoints after the first rebuilt day are recomputed on demand.
            later = rollups.month_start(start)
            MonthCheckpoint.objects.filter(month__gt=later).delete()
            CheckedMonth.objects.filter(month__gt=later).delete()
            self.stdout.write(f"rollup: {len(wanted)} day(s) rebuilt")
            return
        count = rollups.ensure_rollups(start, end)
        self.stdout.write(f"rollup: {count} day(s) rolled up")
