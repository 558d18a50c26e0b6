"""Print the README's "Who may do what" section from the one permission table.

    .venv/bin/python scripts/permissions_table.py

``tests/core/test_permission_table.py`` checks that README.md holds exactly this text, so
a change to ``membercard/core/permissions.py`` shows up in the README (paste the output).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HEADING = "### Who may do what"

INTRO = """\
One table in `membercard/core/permissions.py` says who may do what and where; the services
enforce it, and the staff pages, the menus and the POS API read it. A POS terminal acts as
a cashier of its store. *anywhere*: at any location; *own*: only at the actor's own location
(a store's staff in their store, HQ's stock keeping at HQ); *HQ*: only at headquarters."""

# Rules that depend on the thing acted on, kept by the service that knows it.
NOTES = """\
* **top up**: store staff only where the card's product has `stores_may_top_up`.
* **refund**: a store manager refunds any amount of their store's purchases; a cashier or a
  POS terminal refunds alone under the counter rule only: a purchase of the open business
  day, less than the refund threshold (set on the approval thresholds page; default
  `MEMBERCARD_COUNTER_REFUND_LIMIT`, 10000 minor units) refunded on it in all. Anything else
  is filed for approval (a store manager of that store, HQ admin or finance; never its
  maker): the counter says so, the API answers 403 `refund_needs_approval`. HQ admin and
  finance refund anywhere.
* **reopen a business day**: a store manager (their store) or HQ admin or finance asks; HQ
  admin or finance other than the maker approve.
* **reverse**: only operations of the open business day at the actor's location; whoever
  made the operation (a terminal its own), or one of the roles that reverse others'.
* The counter serves the stores' staff and, at HQ, HQ admin and finance (selling from HQ's
  stock); its top-up, the business day and the store stock pages are the stores'; the card
  pages at HQ are HQ's."""


def markdown() -> str:
    """The whole section, heading first, as README.md holds it."""
    from django.utils import translation

    from membercard.core.models import Role
    from membercard.core.permissions import TABLE, Scope

    roles = [Role.HQ_ADMIN, Role.HQ_FINANCE, Role.HQ_STOCK, Role.STORE_MANAGER, Role.STORE_CASHIER]
    cell = {Scope.ANYWHERE: "anywhere", Scope.OWN: "own", Scope.HQ: "HQ"}
    with translation.override("en"):
        names = [str(role.label) for role in roles]
    names[-1] += " / terminal"
    lines = [HEADING, "", INTRO, "", "| action | " + " | ".join(names) + " |"]
    lines.append("|---" * (len(roles) + 1) + "|")
    for action, grants in TABLE.items():
        cells = [cell[grants[role]] if role in grants else "—" for role in roles]
        lines.append(f"| {action.label} (`{action.value}`) | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", NOTES, ""])


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercard.settings")
    import django

    django.setup()
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
