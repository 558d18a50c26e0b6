"""Who may do what: one table of actions by role and place, read by services, pages, menus,
the API and the README ("Who may do what" is printed from it by
``scripts/permissions_table.py``).

Each action names, for every role that may do it, where: ``anywhere`` (HQ acting on any
location's cards and documents), ``own`` (only at the actor's own location: a store's staff
in their store; HQ's stock keeping at HQ) or ``hq`` (only while acting at headquarters).
A POS terminal acts as a cashier of its store. Rules that depend on the thing acted on (a
product that lets stores top up, the counter refund rule, whoever made an operation may
reverse it) stay in the service that knows the thing; the table says who may try.
"""

from __future__ import annotations

import enum
from types import MappingProxyType

from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted
from membercard.core.models import HQ_ROLES, STORE_ROLES, Location, LocationKind, Role


class Scope(enum.Enum):
    ANYWHERE = "anywhere"
    OWN = "own location"
    HQ = "HQ only"


class Action(enum.StrEnum):
    """What staff and terminals do, in the merchant's words. The label is the README's."""

    label: str

    def __new__(cls, value: str, label: str) -> Action:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    # The counter: money and cards.
    LOOK_UP_CARDS = "look_up_cards", "look cards up"
    SELL_CARD = "sell_card", "sell a card"
    TOP_UP = "top_up", "top up a card"
    TAKE_PAYMENT = "take_payment", "take a payment"
    REFUND = "refund", "refund a purchase (see the counter refund rule)"
    REFUND_ANY_AMOUNT = "refund_any_amount", "refund any amount, any day"
    REVERSE = "reverse", "reverse their own operation of the open business day"
    REVERSE_OTHERS = "reverse_others", "reverse another person's operation"
    ADJUST = "adjust", "adjust a card's balance (with a reason)"
    FREEZE = "freeze", "freeze a card"
    UNFREEZE = "unfreeze", "unfreeze a card"
    UNLOCK_PIN = "unlock_pin", "unlock a card's PIN"
    REPLACE = "replace", "replace a card"
    RECOVER = "recover", "take a one-time card back"
    RESTOCK = "restock", "put a taken-back card back in stock"
    REDEEM_GIFT = "redeem_gift", "redeem a gift"
    VIEW_RECEIPT = "view_receipt", "reprint or look up a receipt"
    # Members and loyalty.
    REGISTER_MEMBER = "register_member", "register and change members, link cards to them"
    LOOK_UP_MEMBERS = "look_up_members", "look members up"
    LIST_MEMBERS = "list_members", "list members and their personal data"
    EXPORT_MEMBERS = "export_members", "export members"
    SET_TIER = "set_tier", "set a card's tier"
    REVIEW_TIERS = "review_tiers", "review tiers"
    EXPIRE_POINTS = "expire_points", "expire points"
    SET_PREPAID_LIMITS = "set_prepaid_limits", "change prepaid limits"
    CONFIGURE_LOYALTY = "configure_loyalty", "configure tiers, points and campaigns"
    MANAGE_GIFTS = "manage_gifts", "manage the gift catalog"
    MOVE_GIFT_STOCK = "move_gift_stock", "receive and send gift stock"
    ADJUST_GIFT_STOCK = "adjust_gift_stock", "adjust gift stock"
    VIEW_SETUP = "view_setup", "see card products, loyalty programs and gifts"
    # Card stock.
    VIEW_STOCK = "view_stock", "see card stock and batches"
    ORDER_BATCH = "order_batch", "order or import card batches"
    RECEIVE_BATCH = "receive_batch", "receive or cancel card batches"
    VOID_CARDS = "void_cards", "void cards"
    HANDOVER_SEND = "handover_send", "hand cards over (draft, dispatch, cancel)"
    HANDOVER_RECEIVE = "handover_receive", "see and receive handovers"
    RESOLVE_DISCREPANCY = "resolve_discrepancy", "resolve handover discrepancies"
    STOCKTAKE_LEAD = "stocktake_lead", "start, confirm or cancel a stocktake"
    STOCKTAKE_COUNT = "stocktake_count", "count cards in a stocktake"
    # Days, money at HQ and reports.
    CLOSE_DAY = "close_day", "close the business day"
    VIEW_Z_REPORT = "view_z_report", "see a day's Z report"
    RECONCILE = "reconcile", "see the reconciliation board"
    RECORD_DEPOSIT = "record_deposit", "record deposits"
    VIEW_REPORTS = "view_reports", "see reports"
    VIEW_MEMBER_REPORTS = "view_member_reports", "see reports that name members"
    # Administration.
    MANAGE_PRODUCTS = "manage_products", "set up card products"
    MANAGE_STORES = "manage_stores", "open and change stores"
    MANAGE_STAFF = "manage_staff", "add, change and deactivate staff"
    MANAGE_TERMINALS = "manage_terminals", "create and revoke terminal keys"
    MANAGE_SIGNIN = "manage_signin", "lift sign-in locks, reset second factors"
    VIEW_LOOKUP_MISSES = "view_lookup_misses", "see who keeps missing card look-ups"
    VIEW_AUDIT = "view_audit", "see and export the audit trail"
    MAKE_BACKUP = "make_backup", "make backups"
    # Four eyes: requests and approvals (``membercard.approvals``).
    REQUEST_ADJUSTMENT = "request_adjustment", "request an adjustment (posted once approved)"
    VIEW_APPROVALS = "view_approvals", "see approval requests (a cashier: their own)"
    DECIDE_APPROVALS = (
        "decide_approvals",
        "approve or reject requests (the request's kind says whose: the rows below)",
    )
    APPROVE_MONEY = "approve_money", "approve adjustments and HQ top-ups made by someone else"
    CHANGE_APPROVAL_THRESHOLDS = (
        "change_approval_thresholds",
        "request a change of the approval thresholds",
    )
    APPROVE_THRESHOLDS = "approve_thresholds", "approve a change of the approval thresholds"
    APPROVE_REFUND = "approve_refund", "approve a refund a cashier or terminal asked for"
    REQUEST_DAY_REOPENING = "request_day_reopening", "request reopening a closed business day"
    APPROVE_DAY_REOPENING = "approve_day_reopening", "approve reopening a closed business day"
    APPROVE_STOCK = (
        "approve_stock",
        "approve card voids, batch orders and cancellations, handover losses made by someone else",
    )
    APPROVE_SETTINGS = (
        "approve_settings",
        "approve prepaid limits and card-product money policies set by someone else",
    )
    APPROVE_LIMIT_OVERRIDE = (
        "approve_limit_override",
        "approve a replacement over the prepaid limit (an override the reports list)",
    )


ADMIN, FINANCE, STOCK = Role.HQ_ADMIN, Role.HQ_FINANCE, Role.HQ_STOCK
MANAGER, CASHIER = Role.STORE_MANAGER, Role.STORE_CASHIER
ANYWHERE, OWN, HQ = Scope.ANYWHERE, Scope.OWN, Scope.HQ


def _grants(**grants: Scope) -> dict[Role, Scope]:
    return {Role(role): scope for role, scope in grants.items()}


# Row helpers for the shapes that recur: the counter (HQ's money people anywhere, the store's
# staff in their store), its managing part (no cashiers), and roles at HQ only.
def _counter(**more: Scope) -> dict[Role, Scope]:
    return {**_managing(), CASHIER: OWN, **_grants(**more)}


def _managing() -> dict[Role, Scope]:
    return {ADMIN: ANYWHERE, FINANCE: ANYWHERE, MANAGER: OWN}


def _hq(*roles: Role) -> dict[Role, Scope]:
    return {role: HQ for role in roles}


_TABLE: dict[Action, dict[Role, Scope]] = {
    Action.LOOK_UP_CARDS: _counter(hq_stock=HQ),
    Action.SELL_CARD: _counter(),
    Action.TOP_UP: _counter(),  # stores only where the product has stores_may_top_up
    Action.TAKE_PAYMENT: _counter(),
    Action.REFUND: _counter(),
    Action.REFUND_ANY_AMOUNT: _managing(),
    Action.REVERSE: {role: OWN for role in (ADMIN, FINANCE, MANAGER, CASHIER)},
    Action.REVERSE_OTHERS: {role: OWN for role in (ADMIN, FINANCE, MANAGER)},
    Action.ADJUST: _hq(FINANCE),
    Action.FREEZE: _counter(),
    Action.UNFREEZE: _managing(),
    Action.UNLOCK_PIN: _managing(),
    Action.REPLACE: _counter(),
    Action.RECOVER: _counter(),
    Action.RESTOCK: _grants(hq_admin=ANYWHERE, hq_stock=ANYWHERE, store_manager=OWN),
    Action.REDEEM_GIFT: _counter(),
    Action.VIEW_RECEIPT: _counter(hq_stock=HQ),
    Action.REGISTER_MEMBER: _counter(),
    Action.LOOK_UP_MEMBERS: _counter(),
    Action.LIST_MEMBERS: _hq(ADMIN, FINANCE),
    Action.EXPORT_MEMBERS: _hq(ADMIN, FINANCE),
    Action.SET_TIER: _hq(ADMIN, FINANCE),
    Action.REVIEW_TIERS: _hq(ADMIN, FINANCE, STOCK),
    Action.EXPIRE_POINTS: _hq(ADMIN, FINANCE, STOCK),
    Action.SET_PREPAID_LIMITS: _hq(ADMIN, FINANCE),
    Action.CONFIGURE_LOYALTY: _hq(ADMIN),
    Action.MANAGE_GIFTS: _hq(ADMIN),
    Action.MOVE_GIFT_STOCK: _hq(ADMIN, STOCK),
    Action.ADJUST_GIFT_STOCK: {**_hq(ADMIN, STOCK), MANAGER: OWN},
    Action.VIEW_SETUP: _hq(ADMIN, FINANCE, STOCK),
    Action.VIEW_STOCK: {**_hq(ADMIN, STOCK), MANAGER: OWN, CASHIER: OWN},
    Action.ORDER_BATCH: _hq(ADMIN, STOCK),
    Action.RECEIVE_BATCH: _hq(ADMIN, STOCK),
    Action.VOID_CARDS: _hq(ADMIN, STOCK),
    Action.HANDOVER_SEND: {ADMIN: OWN, STOCK: OWN, MANAGER: OWN},
    Action.HANDOVER_RECEIVE: {ADMIN: OWN, STOCK: OWN, MANAGER: OWN},
    Action.RESOLVE_DISCREPANCY: _hq(ADMIN, STOCK),
    Action.STOCKTAKE_LEAD: {ADMIN: OWN, STOCK: OWN, MANAGER: OWN},
    Action.STOCKTAKE_COUNT: {ADMIN: OWN, STOCK: OWN, MANAGER: OWN, CASHIER: OWN},
    Action.CLOSE_DAY: {MANAGER: OWN},
    Action.VIEW_Z_REPORT: _managing(),
    Action.RECONCILE: _hq(ADMIN, FINANCE),
    Action.RECORD_DEPOSIT: _hq(ADMIN, FINANCE),
    Action.VIEW_REPORTS: {**_managing(), STOCK: ANYWHERE},
    Action.VIEW_MEMBER_REPORTS: _managing(),
    Action.MANAGE_PRODUCTS: _hq(ADMIN),
    Action.MANAGE_STORES: _hq(ADMIN),
    Action.MANAGE_STAFF: _hq(ADMIN),
    Action.MANAGE_TERMINALS: _hq(ADMIN),
    Action.MANAGE_SIGNIN: _hq(ADMIN),
    Action.VIEW_LOOKUP_MISSES: _hq(ADMIN),
    Action.VIEW_AUDIT: _hq(ADMIN),
    Action.MAKE_BACKUP: _hq(ADMIN),
    Action.REQUEST_ADJUSTMENT: _hq(FINANCE),  # who may adjust: the request posts as them
    # At a store: a manager their store's requests (they approve refunds), a cashier their own.
    Action.VIEW_APPROVALS: {**_hq(ADMIN, FINANCE, STOCK), MANAGER: OWN, CASHIER: OWN},
    Action.DECIDE_APPROVALS: {**_hq(ADMIN, FINANCE, STOCK), MANAGER: OWN},  # a manager: refunds
    Action.APPROVE_MONEY: _hq(ADMIN, FINANCE),
    Action.CHANGE_APPROVAL_THRESHOLDS: _hq(ADMIN),
    Action.APPROVE_THRESHOLDS: _hq(ADMIN, FINANCE),
    Action.APPROVE_REFUND: _managing(),  # a manager at the purchase's store, at the counter
    Action.REQUEST_DAY_REOPENING: _managing(),
    Action.APPROVE_DAY_REOPENING: _hq(ADMIN, FINANCE),
    Action.APPROVE_STOCK: _hq(ADMIN, STOCK),
    Action.APPROVE_SETTINGS: _hq(ADMIN, FINANCE),
    Action.APPROVE_LIMIT_OVERRIDE: _hq(ADMIN, FINANCE),
}

# The one permission table, read-only: action -> {role: where}.
TABLE: MappingProxyType[Action, MappingProxyType[Role, Scope]] = MappingProxyType(
    {action: MappingProxyType(grants) for action, grants in _TABLE.items()}
)


def roles_for(action: Action, *, at: LocationKind | None = None) -> frozenset[Role]:
    """The roles that may do ``action`` (those working at ``at``, HQ or a store, if given)."""
    roles = frozenset(TABLE[action])
    if at is None:
        return roles
    return roles & (HQ_ROLES if at == LocationKind.HQ else STORE_ROLES)


def role_may(role: Role | str, action: Action) -> bool:
    """Whether ``role`` appears for ``action`` at all (wherever it works)."""
    return role in TABLE[action]


def allowed(actor: Actor, action: Action, location: Location | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (at ``location`` when the thing acted on has one)."""
    scope = TABLE[action].get(actor.role)
    if scope is None:
        return False
    if scope is Scope.HQ:
        return actor.at_hq and (location is None or location.is_hq)
    if scope is Scope.OWN:
        return location is None or location.pk == actor.location.pk
    return True


def require(actor: Actor, action: Action, what: str, location: Location | None = None) -> None:
    """Refuse (``NotPermitted``) unless the table lets ``actor`` do ``action``; ``what`` is
    the action in the message's words ("refund purchases")."""
    if allowed(actor, action, location):
        return
    grants = TABLE[action]
    if not actor.at_hq and grants and all(scope is Scope.HQ for scope in grants.values()):
        raise NotPermitted(
            _("Only headquarters may %(what)s.") % {"what": what}, role=str(actor.role)
        )
    if actor.role in grants:
        raise NotPermitted(
            _("%(role)s may %(what)s only at their own location.")
            % {"role": actor.role.label, "what": what},
            role=str(actor.role),
        )
    raise NotPermitted(
        _("%(role)s may not %(what)s.") % {"role": actor.role.label, "what": what},
        role=str(actor.role),
    )
