"""Who may do what (being replaced by the one permission table)."""

from __future__ import annotations

from membercard.core.models import Role

# Who may take money and sell at the counter (everyone but the stock keeper).
COUNTER_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE, Role.STORE_MANAGER, Role.STORE_CASHIER})
HQ_MONEY_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE})
MANAGER_ROLES = frozenset({Role.STORE_MANAGER, Role.HQ_ADMIN, Role.HQ_FINANCE})
