"""The one permission table (``membercard/core/permissions.py``) walked against the services.

For every action a service enforces, each role is tried on that service with the data of
a real call (numbers and ids of nothing, so an allowed role stops at "not found" or a
validation error): a role outside the table is refused with ``not_permitted``, a role in it
is not. Actions only pages check are walked in ``tests/web/test_permissions.py``; between
the two every action of the table is walked. The API's writes and the counter refund rule
are in ``tests/api/test_permission_table.py``.

Also here: what ``allowed`` and ``require`` mean by scope, and that the README's "Who may
do what" is the table (``scripts/permissions_table.py`` prints it).
"""

from __future__ import annotations

import datetime as dt
import runpy
from collections.abc import Callable
from pathlib import Path

import pytest

from membercard.approvals.days import request_day_reopening
from membercard.approvals.models import ApprovalRequest
from membercard.approvals.refunds import request_refund
from membercard.approvals.replacements import request_replacement
from membercard.approvals.services import (
    approve,
    reject,
    request_adjustment,
    request_thresholds_change,
)
from membercard.approvals.settings_changes import request_prepaid_limits
from membercard.approvals.stock import request_card_void
from membercard.cards.models import CardProduct
from membercard.cards.pins import unlock_pin
from membercard.cards.products import save_product
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import DomainError, NotPermitted
from membercard.core.models import HQ_ROLES, STORE_ROLES, Role
from membercard.core.permissions import TABLE, Action, Scope, allowed, require, roles_for
from membercard.core.services import create_store, deactivate_staff
from membercard.core.terminals import create_terminal_key
from membercard.days.closing import close_day, record_deposit
from membercard.inventory.services.batches.ordering import create_batch
from membercard.inventory.services.batches.receiving import receive_batch, void_cards
from membercard.inventory.services.handover_discrepancies import resolve_line
from membercard.inventory.services.handovers import create_handover, receive_handover
from membercard.inventory.services.stocktakes import confirm_stocktake, count_card
from membercard.loyalty.admin_selectors import members_for_hq
from membercard.loyalty.models import PrepaidLimits
from membercard.loyalty.selectors import export_members, member_detail
from membercard.loyalty.services.gifts import adjust_gift_stock, receive_gift_stock, update_gift
from membercard.loyalty.services.limits import set_prepaid_limits
from membercard.loyalty.services.members import register_member
from membercard.loyalty.services.programs import save_campaign
from membercard.loyalty.services.tiers import review_tiers, set_tier
from membercard.operations import purchase, refund, reverse, sell_card, top_up
from membercard.operations.card_life import (
    freeze_card,
    recover_card,
    replace_card,
    restock_card,
    unfreeze_card,
)
from membercard.operations.corrections import adjust
from membercard.operations.expiry import expire_points
from membercard.operations.gifts import redeem_gift
from membercard.ops.backups.services import back_up_now
from membercard.ops.signin import unlock
from tests import factories as f
from tests.approvals.helpers import ask_adjustment, ask_thresholds

pytestmark = pytest.mark.django_db

NUMBER = "8800000000000005"  # well-formed (Luhn), no card has it
OTHER_NUMBER = "8800000000000013"
MISSING = 987_654
ON = dt.date(2000, 1, 3)
ROLES = tuple(Role)

Call = Callable[[Actor], object]

# action -> one real call of a service that enforces it (the actor is the only variable).
SERVICES: dict[Action, Call] = {
    Action.SELL_CARD: lambda a: sell_card(
        actor=a,
        card_number=NUMBER,
        initial_value_minor=1_000,
        tender="cash",
        idempotency_key=f.key(),
    ),
    Action.TOP_UP: lambda a: top_up(
        actor=a, card_number=NUMBER, amount_minor=1_000, tender="cash", idempotency_key=f.key()
    ),
    Action.TAKE_PAYMENT: lambda a: purchase(
        actor=a, card_number=NUMBER, amount_minor=100, idempotency_key=f.key()
    ),
    Action.REFUND: lambda a: refund(
        actor=a, operation_id=MISSING, amount_minor=100, idempotency_key=f.key()
    ),
    Action.REVERSE: lambda a: reverse(actor=a, operation_id=MISSING, idempotency_key=f.key()),
    Action.ADJUST: lambda a: adjust(
        actor=a,
        card_number=NUMBER,
        bucket="principal",
        delta=1,
        reason="",
        idempotency_key=f.key(),
    ),
    Action.FREEZE: lambda a: freeze_card(actor=a, card_number=NUMBER),
    Action.UNFREEZE: lambda a: unfreeze_card(actor=a, card_number=NUMBER),
    Action.UNLOCK_PIN: lambda a: unlock_pin(actor=a, card_number=NUMBER),
    Action.REPLACE: lambda a: replace_card(
        actor=a, old_number=NUMBER, new_number=OTHER_NUMBER, idempotency_key=f.key()
    ),
    Action.RECOVER: lambda a: recover_card(actor=a, card_number=NUMBER, idempotency_key=f.key()),
    Action.RESTOCK: lambda a: restock_card(actor=a, card_number=NUMBER),
    Action.REDEEM_GIFT: lambda a: redeem_gift(
        actor=a, card_number=NUMBER, gift_code="nope", quantity=1, idempotency_key=f.key()
    ),
    Action.REGISTER_MEMBER: lambda a: register_member(actor=a, name="", mobile=""),
    Action.LOOK_UP_MEMBERS: lambda a: member_detail(actor=a, member_id=MISSING),
    Action.LIST_MEMBERS: lambda a: members_for_hq(a),
    Action.EXPORT_MEMBERS: lambda a: export_members(actor=a),
    Action.SET_TIER: lambda a: set_tier(actor=a, card_number=NUMBER, tier_code=None, reason=""),
    Action.REVIEW_TIERS: lambda a: review_tiers(actor=a, on=ON),
    Action.EXPIRE_POINTS: lambda a: expire_points(actor=a, on=ON),
    Action.SET_PREPAID_LIMITS: lambda a: set_prepaid_limits(
        actor=a, anonymous_limit_minor=-1, registered_limit_minor=-1, reason=""
    ),
    Action.CONFIGURE_LOYALTY: lambda a: save_campaign(
        actor=a, name="", multiplier_pct=0, starts_on=ON, ends_on=ON
    ),
    Action.MANAGE_GIFTS: lambda a: update_gift(actor=a, code="nope"),
    Action.MOVE_GIFT_STOCK: lambda a: receive_gift_stock(actor=a, gift_code="nope", quantity=1),
    Action.ADJUST_GIFT_STOCK: lambda a: adjust_gift_stock(
        actor=a, gift_code="nope", location=a.location, delta=1, reason="counted"
    ),
    Action.ORDER_BATCH: lambda a: create_batch(
        actor=a, product=CardProduct(), quantity=0, unit_cost_minor=0
    ),
    Action.RECEIVE_BATCH: lambda a: receive_batch(actor=a, batch_id=MISSING),
    Action.VOID_CARDS: lambda a: void_cards(actor=a, numbers=[], reason=""),
    Action.HANDOVER_SEND: lambda a: create_handover(actor=a, to_location=a.location),
    Action.HANDOVER_RECEIVE: lambda a: receive_handover(actor=a, handover_id=MISSING),
    Action.RESOLVE_DISCREPANCY: lambda a: resolve_line(
        actor=a, line_id=MISSING, outcome="lost", note="x"
    ),
    Action.STOCKTAKE_LEAD: lambda a: confirm_stocktake(actor=a, stocktake_id=MISSING),
    Action.STOCKTAKE_COUNT: lambda a: count_card(actor=a, stocktake_id=MISSING, raw_input="1"),
    Action.CLOSE_DAY: lambda a: close_day(actor=a, counted={"nope": -1}),
    Action.RECORD_DEPOSIT: lambda a: record_deposit(
        actor=a,
        location_code="NOPE",
        business_date=ON,
        amount_minor=-1,
        idempotency_key=f.key(),
    ),
    Action.MANAGE_PRODUCTS: lambda a: save_product(actor=a, product=CardProduct()),
    Action.MANAGE_STORES: lambda a: create_store(actor=a, code="", name=""),
    Action.MANAGE_STAFF: lambda a: deactivate_staff(actor=a, staff_id=MISSING),
    Action.MANAGE_TERMINALS: lambda a: create_terminal_key(store_code="NOPE", name="", by=a.staff),
    Action.MANAGE_SIGNIN: lambda a: unlock(actor=a, kind="nope", value=""),
    Action.MAKE_BACKUP: lambda a: back_up_now(actor=a),
    Action.REQUEST_ADJUSTMENT: lambda a: request_adjustment(
        actor=a, card_number=NUMBER, bucket="principal", delta=1, reason="x", idempotency_key="k"
    ),
    Action.DECIDE_APPROVALS: lambda a: approve(actor=a, request_id=987_654, note=""),
    Action.REQUEST_DAY_REOPENING: lambda a: request_day_reopening(
        actor=a, location_code="NOPE", business_date=ON, reason="x", idempotency_key="k"
    ),
    Action.CHANGE_APPROVAL_THRESHOLDS: lambda a: request_thresholds_change(
        actor=a,
        adjustment_minor=-1,
        points_adjustment=0,
        hq_top_up_minor=0,
        lifetime_hours=1,
        idempotency_key="k",
    ),
}

# A real backup for every allowed role would be slow and write files: refusals only.
REFUSALS_ONLY = {Action.MAKE_BACKUP}

# Actions whose finer rule needs a real object: walked with one below.
SCENARIOS = {Action.REFUND_ANY_AMOUNT, Action.REVERSE_OTHERS}
# Deciding a request: walked with a real request of each kind (``DECIDING``, below).
SCENARIOS |= {
    Action.APPROVE_MONEY,
    Action.APPROVE_THRESHOLDS,
    Action.APPROVE_REFUND,
    Action.APPROVE_DAY_REOPENING,
}
SCENARIOS |= {Action.APPROVE_STOCK, Action.APPROVE_SETTINGS, Action.APPROVE_LIMIT_OVERRIDE}

# Actions no service checks by itself: what a page shows (walked in tests/web).
PAGE_ACTIONS = {
    Action.LOOK_UP_CARDS,
    Action.VIEW_RECEIPT,
    Action.VIEW_SETUP,
    Action.VIEW_STOCK,
    Action.VIEW_Z_REPORT,
    Action.RECONCILE,
    Action.VIEW_REPORTS,
    Action.VIEW_MEMBER_REPORTS,
    Action.VIEW_LOOKUP_MISSES,
    Action.VIEW_AUDIT,
    Action.VIEW_APPROVALS,
}


def actor_for(role: Role) -> Actor:
    f.store()
    return f.actor(role)


def outcome(call: Call, actor: Actor) -> DomainError | None:
    try:
        call(actor)
    except DomainError as error:
        return error
    return None


def test_every_action_is_walked_here_or_on_the_pages():
    walked = set(SERVICES) | SCENARIOS | PAGE_ACTIONS
    assert set(Action) - walked == set(), "walk the new action in SERVICES or on a page"
    assert not set(SERVICES) & PAGE_ACTIONS


def test_every_action_has_one_row_and_sane_scopes():
    assert set(TABLE) == set(Action)
    for action, grants in TABLE.items():
        assert grants, action
        for role, scope in grants.items():
            # A store's staff never act beyond their store; "HQ only" is for HQ roles.
            assert not (role in STORE_ROLES and scope is not Scope.OWN), (action, role)
            assert not (scope is Scope.HQ and role not in HQ_ROLES), (action, role)


@pytest.mark.parametrize("action", sorted(SERVICES), ids=str)
def test_the_service_refuses_exactly_the_roles_outside_the_table(action):
    call = SERVICES[action]
    answers = {}
    for role in ROLES:
        if role in TABLE[action] and action in REFUSALS_ONLY:
            continue
        answers[role] = outcome(call, actor_for(role))
    wrong = {}
    for role, error in answers.items():
        refused = isinstance(error, NotPermitted)
        if role in TABLE[action] and refused:
            wrong[str(role)] = f"refused ({error.message}), the table allows it"
        elif role not in TABLE[action] and not refused:
            wrong[str(role)] = f"{error!r}, expected not_permitted"
    assert not wrong, f"{action}: {wrong}"


def test_only_those_who_may_reverse_others_reverse_another_persons_operation():
    seller = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(seller, value_minor=5_000)
    bought = [
        purchase(actor=seller, card_number=card.number, amount_minor=100, idempotency_key=f.key())
        for _ in range(2)
    ]
    another_cashier = f.actor(Role.STORE_CASHIER)
    with pytest.raises(NotPermitted):
        reverse(actor=another_cashier, operation_id=bought[0].pk, idempotency_key=f.key())
    assert Role.STORE_MANAGER in TABLE[Action.REVERSE_OTHERS]
    assert Role.STORE_CASHIER not in TABLE[Action.REVERSE_OTHERS]
    undone = reverse(actor=f.actor(Role.STORE_MANAGER), operation_id=bought[0].pk,
                     idempotency_key=f.key())  # fmt: skip
    assert undone.reverses_id == bought[0].pk
    # Whoever made an operation reverses it (the table's REVERSE).
    mine = reverse(actor=seller, operation_id=bought[1].pk, idempotency_key=f.key())
    assert mine.reverses_id == bought[1].pk


def _adjustment_request():
    return ask_adjustment(f.actor(Role.HQ_FINANCE), f.sold_card(f.actor(Role.STORE_CASHIER)))


def _thresholds_request():
    return ask_thresholds(f.actor(Role.HQ_ADMIN))


def _refund_request():
    cashier = f.actor(Role.STORE_CASHIER)
    card = f.sold_card(cashier, value_minor=50_000)
    bought = purchase(
        actor=cashier, card_number=card.number, amount_minor=40_000, idempotency_key=f.key()
    )
    return request_refund(
        actor=cashier, operation_id=bought.pk, amount_minor=40_000, idempotency_key=f.key()
    )


def _reopening_request():
    manager = f.actor(Role.STORE_MANAGER)
    close_day(actor=manager, counted={})
    return request_day_reopening(
        actor=manager,
        location_code=manager.location.code,
        business_date=today(),
        reason="miscounted",
        idempotency_key=f.key(),
    )


def _void_request():
    card = f.stock_card(f.product(), f.hq())
    return request_card_void(
        actor=f.actor(Role.HQ_STOCK), numbers=[card.number], reason="bent", idempotency_key=f.key()
    )


def _limits_request():
    return request_prepaid_limits(
        actor=f.actor(Role.HQ_FINANCE),
        anonymous_limit_minor=50_000,
        registered_limit_minor=400_000,
        reason="regulation",
        idempotency_key=f.key(),
    )


def _override_request():
    cashier = f.actor(Role.STORE_CASHIER)
    old = f.sold_card(cashier, value_minor=90_000)
    PrepaidLimits.objects.create(
        anonymous_limit_minor=50_000, registered_limit_minor=500_000, reason="lowered"
    )
    new = f.stock_card(old.product, cashier.location)
    return request_replacement(
        actor=cashier,
        old_number=old.number,
        new_number=new.number,
        reason="lost",
        idempotency_key=f.key(),
    )


# The decide action of each kind -> a request of that kind (made at S01 or HQ).
DECIDING = {
    Action.APPROVE_STOCK: _void_request,
    Action.APPROVE_SETTINGS: _limits_request,
    Action.APPROVE_LIMIT_OVERRIDE: _override_request,
    Action.APPROVE_MONEY: _adjustment_request,
    Action.APPROVE_THRESHOLDS: _thresholds_request,
    Action.APPROVE_REFUND: _refund_request,
    Action.APPROVE_DAY_REOPENING: _reopening_request,
}


@pytest.mark.parametrize("action", sorted(DECIDING), ids=str)
def test_only_the_roles_of_its_kind_decide_a_request(action):
    f.store()
    request = DECIDING[action]()
    assert isinstance(request, ApprovalRequest)
    wrong = {}
    for role in ROLES:
        # A fresh staff member each time (never the maker); the first allowed one rejects,
        # the next find it decided (not refused).
        error = outcome(lambda a: reject(actor=a, request_id=request.pk, note="no"), f.actor(role))
        refused = isinstance(error, NotPermitted)
        if refused == (role in TABLE[action]):
            wrong[str(role)] = repr(error)
    assert not wrong, f"{action}: {wrong}"


# allowed / require by scope -----------------------------------------------------------------


def test_own_scope_is_the_actors_own_location():
    cashier = f.actor(Role.STORE_CASHIER, f.store("S01"))
    assert TABLE[Action.SELL_CARD][Role.STORE_CASHIER] is Scope.OWN
    assert allowed(cashier, Action.SELL_CARD)
    assert allowed(cashier, Action.SELL_CARD, f.store("S01"))
    assert not allowed(cashier, Action.SELL_CARD, f.store("S02"))
    with pytest.raises(NotPermitted, match="only at their own location") as refused:
        require(cashier, Action.SELL_CARD, "sell cards", f.store("S02"))
    assert refused.value.code == "not_permitted"


def test_anywhere_scope_lets_hq_act_on_a_store():
    finance = f.actor(Role.HQ_FINANCE)
    assert allowed(finance, Action.REFUND_ANY_AMOUNT, f.store("S02"))


def test_hq_scope_needs_headquarters():
    stock = f.actor(Role.HQ_STOCK)
    manager = f.actor(Role.STORE_MANAGER)
    assert allowed(stock, Action.ORDER_BATCH)
    assert not allowed(stock, Action.ORDER_BATCH, f.store("S02"))
    with pytest.raises(NotPermitted, match="Only headquarters may order card batches"):
        require(manager, Action.ORDER_BATCH, "order card batches")


def test_a_role_outside_the_row_is_named_in_the_refusal():
    cashier = f.actor(Role.STORE_CASHIER)
    with pytest.raises(NotPermitted, match="Store cashier may not close the business day") as e:
        require(cashier, Action.CLOSE_DAY, "close the business day")
    assert e.value.extra == {"role": "store_cashier"}


def test_a_terminal_acts_with_its_stores_cashier_role():
    f.store()
    terminal, _key = create_terminal_key(store_code="S01", name="till-1")
    terminal_actor = Actor.for_terminal(terminal)
    assert terminal_actor.role in roles_for(Action.REFUND)
    assert not allowed(terminal_actor, Action.REFUND_ANY_AMOUNT)


def test_roles_for_a_side_of_the_business():
    assert roles_for(Action.TOP_UP, at=None) == {
        Role.HQ_ADMIN, Role.HQ_FINANCE, Role.STORE_MANAGER, Role.STORE_CASHIER,
    }  # fmt: skip
    assert roles_for(Action.TOP_UP, at="hq") == {Role.HQ_ADMIN, Role.HQ_FINANCE}
    assert roles_for(Action.TOP_UP, at="store") == {Role.STORE_MANAGER, Role.STORE_CASHIER}


# The README ----------------------------------------------------------------------------------


def test_the_readme_says_who_may_do_what_from_the_table():
    root = Path(__file__).resolve().parents[2]
    generated = runpy.run_path(str(root / "scripts" / "permissions_table.py"))["markdown"]()
    readme = (root / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Who may do what\n")
    end = readme.index("\n### ", start + 1) + 1
    assert readme[start:end] == generated + "\n", (
        "README's 'Who may do what' is stale: paste `python scripts/permissions_table.py`"
    )
    for action in Action:
        assert f"(`{action.value}`)" in generated
