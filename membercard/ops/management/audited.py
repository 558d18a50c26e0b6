"""``AuditedCommand``: an operator command that changes data, audited inside its work.

A command splits into ``work`` (the business operations: everything that must commit) and
``report`` (what it prints once the work is done). Its audit row (kind ``cli``: the
command, its cleaned arguments, the staff member named with ``--by``, the OS user) is
written inside the first business operation the work commits, so the work never commits
without it and a failed audit write rolls the work back. The exit status says whether the
work committed:

* the work committed (or had nothing to do): exit 0, even if printing the report fails
  afterwards (that is said on stderr);
* a refusal (a ``DomainError``, a ``CommandError``) or any error in the work: exit 1; a
  refusal before anything committed gets its row afterwards with ``"outcome": "refused"``;
  a work of several transactions that stopped part-way says so (the row went with the
  first one; these commands are safe to run again);
* no transaction at all (a read, nothing due): the row is written afterwards; if that
  write fails the command exits 1.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from membercard.core.audit import PendingAudit, audit_inside, cli_fields
from membercard.core.errors import DomainError
from membercard.core.models import AuditKind
from membercard.ops.audit import command_options

logger = logging.getLogger(__name__)


class AuditedCommand(BaseCommand):
    #: The command's name in its audit row (``expire-points``); ``audit_what`` may refine it.
    audit_name = ""

    # What the row says (override where the command knows better) --------------------------

    def audit_what(self, options: dict[str, Any]) -> str:
        return self.audit_name

    def audit_args(self, options: dict[str, Any]) -> list[str]:
        return command_options(options)

    def audited(self, options: dict[str, Any]) -> bool:
        """False for a sub-command that only reads without exporting anything."""
        return True

    # The two halves of the command ----------------------------------------------------------

    def work(self, **options: Any) -> Any:
        """The business operations; what they return goes to ``report``."""
        raise NotImplementedError

    def report(self, result: Any, **options: Any) -> None:
        """What to print once the work is done (after the commit)."""

    def refused(self, error: DomainError) -> None:
        """Say more about a refusal on stderr before the command exits 1."""

    # -----------------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        if not self.audited(options):
            self.report(self._work(options), **options)
            return
        pending = PendingAudit(describe=lambda: self._row(options))
        try:
            with audit_inside(pending):
                result = self._work(options)
        except CommandError as refusal:
            self._refusal_row(pending, str(refusal))
            if pending.done:
                message = f"{refusal} (stopped part-way: what ran first is kept)"
                raise CommandError(message) from None
            raise
        except Exception as failure:
            self._refusal_row(pending, f"{type(failure).__name__}: {failure}", outcome="failed")
            raise
        if not pending.done:  # no transaction: the row is owed all the same
            try:
                pending.write_after(outcome="no changes")
            except Exception as failure:
                raise CommandError(f"Could not write the audit row: {failure}") from failure
        try:
            self.report(result, **options)
        except Exception as failure:  # the work is committed: that is what the status says
            logger.exception("%s: the work is done; its report failed", self.audit_name)
            self.stderr.write(f"The work is done (committed); its report failed: {failure}")

    def _work(self, options: dict[str, Any]) -> Any:
        try:
            return self.work(**options)
        except DomainError as error:
            self.refused(error)
            raise CommandError(error.message) from None

    def _row(self, options: dict[str, Any]) -> dict[str, Any]:
        fields = cli_fields(
            self.audit_what(options),
            self.audit_args(options),
            username=options.get("by") or "",
        )
        return {"kind": AuditKind.CLI, **fields}

    def _refusal_row(
        self, pending: PendingAudit, message: str, *, outcome: str = "refused"
    ) -> None:
        """The attempt, when nothing committed; a lost row is logged (nothing changed)."""
        if pending.done:
            return
        try:
            pending.write_after(outcome=outcome, error=message[:200])
        except Exception:
            logger.exception("Could not write the audit row of a refused %s", self.audit_name)
