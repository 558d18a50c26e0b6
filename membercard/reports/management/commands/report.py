"""``membercard report <name> --from YYYY-MM-DD --to YYYY-MM-DD [--location CODE]
[--format csv|xlsx|pdf] [--output FILE]``: a report for scheduled jobs and accountants'
scripts. CSV goes to standard output by default; amounts are in minor units; the columns
are documented in docs/reports.md."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from membercard.core.errors import DomainError
from membercard.reports import exports
from membercard.reports.sales_inventory import location_by_code
from membercard.reports.selectors import check_days
from membercard.reports.tables import REPORTS


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Print or write a report (sales-inventory, reconciliation, liability, dormant, …)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", choices=sorted(REPORTS))
        parser.add_argument("--from", dest="date_from", required=True)
        parser.add_argument("--to", dest="date_to", required=True)
        parser.add_argument("--location", default=None, help="A location code.")
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument("--output", default=None, help="A file (default: standard output).")

    def handle(self, *args, name, date_from, date_to, location, format, output, **options):
        start, end = _date(date_from), _date(date_to)
        try:
            check_days(start, end)
            table = REPORTS[name](start, end, location_by_code(location))
        except DomainError as error:
            raise CommandError(error.message) from None
        data = exports.render(table, format)
        if output:
            with open(output, "wb") as fh:
                fh.write(data)
            self.stderr.write(f"{name}: {len(table.rows)} row(s) written to {output}")
        elif format == "csv":
            self.stdout.write(data.decode(), ending="")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        for note in table.notes:
            self.stderr.write(note)
