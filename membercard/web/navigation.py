"""The menu: what each role sees, read from the pages' own entries in the permission table.
Hiding is a courtesy; ``access.staff_page`` refuses."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Role


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
    MenuItem(_("Business day"), "web:days", "counter"),
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


def page_roles(url: str) -> frozenset[Role]:
    """The roles the page at ``url`` lets in (its ``staff_page`` action in the table)."""
    return getattr(resolve(url).func, "allowed_roles", frozenset())


def menu_for(role: Role) -> list[dict[str, str]]:
    """Menu entries for ``role``: the pages that let it in (an address that does not
    resolve is left out rather than breaking every page)."""
    items = []
    for item in MENU:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if role in page_roles(url):
            items.append({"label": str(item.label), "url": url, "section": item.section})
    return items
