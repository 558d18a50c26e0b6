"""Who keeps the card stock: the roles that order, send, receive and settle cards at each
kind of location, and the checks the stock services make with them."""

from __future__ import annotations

from membercard.core.actors import Actor
from membercard.core.models import Location, Role

# Who sends and receives cards at each kind of location.
HQ_STOCK_ROLES = frozenset({Role.HQ_STOCK, Role.HQ_ADMIN})
STORE_STOCK_ROLES = frozenset({Role.STORE_MANAGER})


def stock_roles(location: Location) -> frozenset[Role]:
    """The roles that may send or receive cards at ``location``."""
    return HQ_STOCK_ROLES if location.is_hq else STORE_STOCK_ROLES


def require_stock_staff(actor: Actor, what: str) -> None:
    """Refuse unless the actor keeps the stock at their own location."""
    actor.require(stock_roles(actor.location), what)


def require_hq_stock(actor: Actor, what: str) -> None:
    """Refuse unless the actor keeps the stock at headquarters (stock keeper or admin)."""
    actor.require_hq(what)
    actor.require(HQ_STOCK_ROLES, what)
