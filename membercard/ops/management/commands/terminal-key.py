"""``membercard terminal-key``: make, revoke and list POS terminal keys.

    membercard terminal-key create --store S01 --name till-1 [--by USERNAME]
    membercard terminal-key revoke PREFIX            (or: --store S01 --name till-1)
    membercard terminal-key list [--store S01]

``create`` prints the new key on its last line, alone, for scripts
(``KEY=$(membercard terminal-key create ... | tail -n 1)``). The key is shown this once:
only its hash is kept. ``create`` and ``revoke`` write their audit row in their own
transaction (``AuditedCommand``).
"""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from membercard.core.models import Staff, Terminal
from membercard.core.terminals import create_terminal_key, find_terminal, revoke_terminal_key
from membercard.ops.management.audited import AuditedCommand


class Command(AuditedCommand):
    help = "Create, revoke or list POS terminal keys."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a new terminal and its key (shown once)")
        create.add_argument("--store", required=True, help="store code, e.g. S01")
        create.add_argument("--name", required=True, help="terminal name, e.g. till-1")
        create.add_argument("--by", help="username of the HQ admin making it (for the record)")
        revoke = actions.add_parser("revoke", help="stop a key working")
        revoke.add_argument("prefix", nargs="?", help="the key's prefix (see list)")
        revoke.add_argument("--store", help="with --name: the terminal's store code")
        revoke.add_argument("--name", help="with --store: the terminal's name")
        revoke.add_argument("--by", help="username of the HQ admin revoking it")
        listing = actions.add_parser("list", help="terminals and their keys' state")
        listing.add_argument("--store", help="only this store")

    def audited(self, options: dict) -> bool:
        return options["action"] != "list"

    def audit_what(self, options: dict) -> str:
        return f"terminal-key {options['action']}"

    def audit_args(self, options: dict) -> list[str]:
        return [
            f"--{name}={options[name]}" for name in ("prefix", "store", "name") if options.get(name)
        ]

    def work(self, *, action: str, **options) -> Terminal | tuple[Terminal, str] | None:
        return getattr(self, f"_{action}")(**options)

    def report(self, result, *, action: str, **options) -> None:
        if action == "create":
            terminal, key = result
            self.stdout.write(
                f"Terminal {terminal} created (prefix {terminal.key_prefix}). "
                "Its key follows; it is shown only this once."
            )
            self.stdout.write(key)
        elif action == "revoke":
            when = timezone.localtime(result.revoked_at)
            self.stdout.write(f"Terminal {result} revoked at {when:%Y-%m-%d %H:%M}.")

    def _staff(self, username: str | None) -> Staff | None:
        if not username:
            return None
        staff = Staff.objects.filter(username=username).first()
        if staff is None:
            raise CommandError(f"No staff member {username!r}.")
        return staff

    def _create(self, *, store: str, name: str, by: str | None, **_) -> tuple[Terminal, str]:
        return create_terminal_key(store_code=store, name=name, by=self._staff(by))

    def _revoke(
        self, *, prefix: str | None, store: str | None, name: str | None, by: str | None, **_
    ) -> Terminal:
        if prefix and not (store or name):
            terminal = find_terminal(prefix)
        elif store and name and not prefix:
            terminal = find_terminal(name, store_code=store)
        else:
            raise CommandError("Name the key by its prefix, or by --store and --name.")
        return revoke_terminal_key(terminal=terminal, by=self._staff(by))

    def _list(self, *, store: str | None, **_) -> None:  # a read: printed as it goes
        terminals = Terminal.objects.select_related("location").order_by("location__code", "name")
        if store:
            terminals = terminals.filter(location__code=store)
        self.stdout.write(f"{'store':6} {'name':20} {'prefix':12} {'state':8} last used")
        for terminal in terminals:
            state = "revoked" if terminal.revoked_at else "active"
            used = (
                f"{timezone.localtime(terminal.last_used_at):%Y-%m-%d %H:%M}"
                if terminal.last_used_at
                else "never"
            )
            self.stdout.write(
                f"{terminal.location.code:6} {terminal.name:20} {terminal.key_prefix:12} "
                f"{state:8} {used}"
            )
