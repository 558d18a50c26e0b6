"""The menu: what each role sees, read from the pages' own entries in the permission table.
Hiding is a courtesy; ``access.staff_page`` refuses."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from membercard.approvals.selectors import pending_count
from membercard.core.actors import Actor
from membercard.core.errors import DomainError
from membercard.core.models import Role, Staff


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    section: str  # "counter" or "hq"


# Who sees an entry is not written here: an entry shows exactly when its page lets the
# role in (``access.staff_page`` reads the permission table), so a menu never offers a 403.
MENU: tuple[MenuItem, ...] = (
    MenuItem(_("Counter"), "web:counter", "counter"),
    MenuItem(_("Store stock"), "web:store-stock", "counter"),
    MenuItem(_("Handovers"), "web:handovers", "counter"),
    MenuItem(_("Recovered cards"), "web:recovered-cards", "counter"),
    MenuItem(_("Business day"), "web:days", "counter"),
    MenuItem(_("Waiting for approval"), "web:counter-approvals", "counter"),
    MenuItem(_("Approvals"), "web:approvals", "hq"),
    MenuItem(_("Reconciliation"), "web:reconciliation", "hq"),
    MenuItem(_("Reports"), "web:reports", "hq"),
    MenuItem(_("Cards"), "web:cards", "hq"),
    MenuItem(_("Members"), "web:members", "hq"),
    MenuItem(_("Card products"), "web:products", "hq"),
    MenuItem(_("Batches"), "web:batches", "hq"),
    MenuItem(_("Stock"), "web:stock", "hq"),
    MenuItem(_("Stocktakes"), "web:stocktakes", "hq"),
    MenuItem(_("Tiers & points"), "web:loyalty", "hq"),
    MenuItem(_("Campaigns"), "web:campaigns", "hq"),
    MenuItem(_("Gifts"), "web:gifts", "hq"),
    MenuItem(_("Stores"), "web:stores", "hq"),
    MenuItem(_("Staff"), "web:staff", "hq"),
    MenuItem(_("Terminal keys"), "web:terminals", "hq"),
    MenuItem(_("Sign-in security"), "web:signin-security", "hq"),
    MenuItem(_("Look-up misses"), "web:lookup-misses", "hq"),
    MenuItem(_("Audit"), "web:audit", "hq"),
    MenuItem(_("Backups"), "web:backups", "hq"),
)


# The entries that carry the number of requests waiting for the signed-in staff member.
COUNTED = ("web:approvals", "web:counter-approvals")


def page_roles(url: str) -> frozenset[Role]:
    """The roles the page at ``url`` lets in (its ``staff_page`` action in the table)."""
    return getattr(resolve(url).func, "allowed_roles", frozenset())


def waiting_approvals(staff: Staff) -> int:
    """How many requests wait for ``staff``'s approval (0 for a staff member without a
    usable role)."""
    try:
        return pending_count(Actor.for_staff(staff))
    except DomainError:
        return 0


def menu_for(role: Role, staff: Staff | None = None) -> list[dict[str, str]]:
    """Menu entries for ``role``: the pages that let it in (an address that does not
    resolve is left out rather than breaking every page). With ``staff``, the Approvals
    entry carries the number of requests waiting for them."""
    items = []
    for item in MENU:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if role in page_roles(url):
            label = str(item.label)
            if item.url_name in COUNTED and staff is not None:
                waiting = waiting_approvals(staff)
                label = f"{label} ({waiting})" if waiting else label
            items.append({"label": label, "url": url, "section": item.section})
    return items
