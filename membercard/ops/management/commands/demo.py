"""``membercard demo``: load demonstration data once (see :mod:`membercard.ops.demo`)."""

from __future__ import annotations

from django.core.management.base import CommandError

from membercard.ops import demo
from membercard.ops.management.audited import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Load demonstration data (HQ, two stores, staff logins, card products, a few hundred "
        "cards and their history) into an empty database. Running it again changes nothing."
    )

    audit_name = "demo"

    def work(self, **options) -> None:
        """The demo's set-up is its first transaction: the audit row goes with it."""
        state = demo.demo_state()
        if state == demo.DemoState.LOADED:
            self.stdout.write("demo data already loaded: nothing to do")
            for line in demo.login_lines():
                self.stdout.write(line)
            return
        if state == demo.DemoState.INCOMPLETE:
            raise CommandError(
                "An earlier demo load stopped part-way (there is no admin login yet). "
                "Load the demo into a fresh, empty database."
            )
        if state == demo.DemoState.FOREIGN:
            found = ", ".join(f"{n} {what}" for what, n in demo.existing_data().items())
            self.stdout.write(
                self.style.WARNING(
                    f"The database already holds data that is not the demo ({found}): "
                    "nothing loaded. The demo loads into an empty database only."
                )
            )
            return
        demo.load_demo(say=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("demo data loaded"))  # printed as it goes
