"""``membercard verify``: recompute and check the whole ledger; non-zero exit on any problem."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from membercard.ops.verification import run_all_checks


class Command(BaseCommand):
    help = "Recompute balances from transfers and check every invariant and hash chain."

    def handle(self, *args, **options) -> None:
        summaries = run_all_checks()
        problems = 0
        for summary in summaries:
            figures = ", ".join(f"{count} {what}" for what, count in summary.checked.items())
            state = "clean" if not summary.problems else f"{len(summary.problems)} PROBLEM(S)"
            self.stdout.write(f"{summary.name}: {state} ({figures})")
            for problem in summary.problems:
                self.stdout.write(f"  - {problem}")
            problems += len(summary.problems)
        if problems:
            raise CommandError(f"verify found {problems} problem(s)")
        self.stdout.write(self.style.SUCCESS("verify: everything checks out"))
