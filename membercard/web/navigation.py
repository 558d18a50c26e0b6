"""The menu: what each role sees. Hiding is a courtesy; ``access.staff_page`` refuses."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from membercard.core.models import Role
from membercard.web import access


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    roles: frozenset[Role]
    section: str  # "counter" or "hq"


MENU: tuple[MenuItem, ...] = (
    MenuItem(_("Counter"), "web:counter", access.STORE, "counter"),
    MenuItem(_("Store stock"), "web:store-stock", access.STORE, "counter"),
    MenuItem(_("Handovers"), "web:handovers", access.STOCK_AND_STORES, "counter"),
    MenuItem(_("Business day"), "web:days", access.MANAGER, "counter"),
    MenuItem(_("Reconciliation"), "web:reconciliation", access.FINANCE, "hq"),
    MenuItem(_("Reports"), "web:reports", access.HQ | access.MANAGER, "hq"),
    MenuItem(_("Cards"), "web:cards", access.HQ, "hq"),
    MenuItem(_("Members"), "web:members", access.FINANCE, "hq"),
    MenuItem(_("Card products"), "web:products", access.HQ, "hq"),
    MenuItem(_("Batches"), "web:batches", access.STOCK_KEEPING, "hq"),
    MenuItem(_("Stock"), "web:stock", access.STOCK_KEEPING, "hq"),
    MenuItem(_("Stocktakes"), "web:stocktakes", access.STOCK_AND_STORES, "hq"),
    MenuItem(_("Tiers & points"), "web:loyalty", access.HQ, "hq"),
    MenuItem(_("Campaigns"), "web:campaigns", access.HQ, "hq"),
    MenuItem(_("Gifts"), "web:gifts", access.HQ, "hq"),
    MenuItem(_("Stores"), "web:stores", access.ADMIN, "hq"),
    MenuItem(_("Staff"), "web:staff", access.ADMIN, "hq"),
    MenuItem(_("Terminal keys"), "web:terminals", access.ADMIN, "hq"),
    MenuItem(_("Sign-in security"), "web:signin-security", access.ADMIN, "hq"),
    MenuItem(_("Look-up misses"), "web:lookup-misses", access.ADMIN, "hq"),
    MenuItem(_("Audit"), "web:audit", access.ADMIN, "hq"),
    MenuItem(_("Backups"), "web:backups", access.ADMIN, "hq"),
)


def menu_for(role: Role) -> list[dict[str, str]]:
    """Menu entries for ``role`` whose page exists (an address that does not resolve is
    left out rather than breaking every page)."""
    items = []
    for item in MENU:
        if role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": str(item.label), "url": url, "section": item.section})
    return items
