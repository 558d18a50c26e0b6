"""Who may open which staff page, and which menu entries each role sees: the permission
table (``membercard/core/permissions.py``) walked against the pages and the menus.

Every page is wrapped in ``access.staff_page(action, at=...)`` and lets in the roles the
table gives that action (on that side of the business). ``PAGES`` below is the expected
answer, written by hand from DESIGN.md's "Who uses it" — deliberately not read from the
table — so a wrong row in the table fails here as well as in the README test:

* every address in the ``web`` namespace is in ``PAGES`` and ``PAGES`` holds no page that
  is gone; every page names an action, and the roles the table gives it are ``PAGES``';
* for each page and each role the page is opened as a signed-in staff member of that role
  (GET, or POST with an empty form for POST-only views): a refused role gets 403 and never
  200; an allowed role never gets 403 (nor 405, nor a server error). Pages about one object
  are opened with an id that does not exist: the role check runs before the lookup, so a
  refused role still gets 403 and an allowed one 404. Anonymous visitors are sent to sign in;
* the menu shows a role an entry exactly when the entry's page lets the role in;
* every action only pages check (``tests/core/test_permission_table.py``'s
  ``PAGE_ACTIONS``) is some page's action.

The services are walked in ``tests/core/test_permission_table.py``, the API's writes in
``tests/api/test_permission_table.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from membercard.core.models import Role
from membercard.core.permissions import Action, roles_for
from membercard.web.navigation import MENU, menu_for
from tests import factories as f
from tests.core.test_permission_table import PAGE_ACTIONS
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

ADMIN = Role.HQ_ADMIN
FINANCE = Role.HQ_FINANCE
STOCK = Role.HQ_STOCK
MANAGER = Role.STORE_MANAGER
CASHIER = Role.STORE_CASHIER

EVERYONE = frozenset(Role)
HQ = frozenset({ADMIN, FINANCE, STOCK})
COUNTER = frozenset({MANAGER, CASHIER})
ADMIN_ONLY = frozenset({ADMIN})
MONEY = frozenset({ADMIN, FINANCE})
SERVING = COUNTER | MONEY  # who serves customers at a counter: a store's, or HQ's
STOCK_KEEPERS = frozenset({ADMIN, STOCK})
STOCK_AND_MANAGERS = frozenset({ADMIN, STOCK, MANAGER})

MISSING = 987_654  # an id no test row has
MISSING_CARD = "8800000000000005"  # a well-formed number (Luhn-valid) of no card
TIERED_PRODUCT = "tiered"  # created by the test for the pages that need it (below)


@dataclass(frozen=True)
class Page:
    roles: frozenset[Role]
    kwargs: dict = field(default_factory=dict)
    method: str = "get"
    # Services an allowed role would really run with an empty form (a whole backup):
    # replaced by a stub for this test; the role check is what is tested.
    stub: frozenset[str] = frozenset()


def get(roles, **kwargs) -> Page:
    return Page(frozenset(roles), kwargs)


def post(roles, stub=(), **kwargs) -> Page:
    """A POST-only view: opened with an empty form."""
    return Page(frozenset(roles), kwargs, "post", frozenset(stub))


# url name -> who may open it, area by area.
PAGES: dict[str, Page] = {
    # The counter: the store's staff, and HQ admin and finance at HQ (the table lets them
    # sell cards and take payments anywhere; HQ's counter sells from HQ's stock). Cashiers
    # look cards up, take purchases, sell cards, top up where the product lets stores,
    # redeem gifts, register members, freeze a lost card, swap a card for a replacement and
    # refund under the counter refund rule (the service says when a manager is needed);
    # reversing another person's operation and lifting a freeze or a PIN lock is the
    # manager's (and HQ's money people's). The counter's top-up is the store's: HQ tops up
    # on its card page, under the HQ top-up approval threshold; the search for a store's own
    # customers' cards is the store's (HQ finds members on its Members pages). HQ's stock
    # keeper looks cards up on the card pages and has no counter.
    "web:counter": get(SERVING),
    "web:counter-card": post(SERVING),  # the card is posted, never in a URL
    "web:counter-quote": post(SERVING),
    "web:counter-purchase": post(SERVING),
    "web:counter-sell": get(SERVING),
    "web:counter-topup": get(COUNTER),
    "web:counter-gift": get(SERVING),
    "web:counter-member": get(SERVING),
    "web:counter-find": get(COUNTER),  # a customer without the card: found by mobile or name
    "web:counter-freeze": get(SERVING),
    "web:counter-replace": get(SERVING),
    "web:counter-refund": get(SERVING),
    "web:counter-reverse": get({MANAGER, *MONEY}),
    "web:counter-hand-back": get(COUNTER),  # a one-time card taken back
    "web:counter-unfreeze": post({MANAGER, *MONEY}),
    "web:counter-pin-unlock": post({MANAGER, *MONEY}),
    # A receipt can be reprinted by the store and looked up by HQ.
    "web:receipt": get(EVERYONE, operation_id=MISSING),
    # A store's own stock.
    "web:store-stock": get(COUNTER),
    "web:store-stock-ranges": get(COUNTER),
    # Recovered (handed-back) cards waiting to be checked: restocked by whoever may restock;
    # voided (four eyes) only at HQ.
    "web:recovered-cards": get(STOCK_AND_MANAGERS),
    "web:recovered-restock": post(STOCK_AND_MANAGERS),
    "web:recovered-void": post(STOCK_KEEPERS),
    # Stocktakes and handovers: HQ's stock keeping, and the store manager who counts,
    # receives and sends back; only HQ settles a handover's discrepancies.
    "web:stocktakes": get(STOCK_AND_MANAGERS),
    "web:stocktake-start": post(STOCK_AND_MANAGERS),
    "web:stocktake": get(STOCK_AND_MANAGERS, pk=MISSING),
    "web:stocktake-count": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:stocktake-confirm": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:stocktake-cancel": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handovers": get(STOCK_AND_MANAGERS),
    "web:handover-create": get(STOCK_AND_MANAGERS),
    "web:handover": get(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-sheet": get(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-add": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-remove": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-dispatch": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-cancel": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-receive": post(STOCK_AND_MANAGERS, pk=MISSING),
    "web:handover-resolve": post(STOCK_KEEPERS, line_pk=MISSING),
    # Card products: all of HQ reads them, the admin changes them.
    "web:products": get(HQ),
    "web:product": get(HQ, pk=MISSING),
    "web:product-create": get(ADMIN_ONLY),
    "web:product-edit": get(ADMIN_ONLY, pk=MISSING),
    # Stores, staff and terminal keys: the admin's.
    "web:stores": get(ADMIN_ONLY),
    "web:store-create": get(ADMIN_ONLY),
    "web:store-edit": get(ADMIN_ONLY, pk=MISSING),
    "web:staff": get(ADMIN_ONLY),
    "web:staff-create": get(ADMIN_ONLY),
    "web:staff-edit": get(ADMIN_ONLY, pk=MISSING),
    "web:staff-deactivate": post(ADMIN_ONLY, pk=MISSING),
    # Sign-in security: lifting sign-in locks and resetting a second factor are the admin's.
    "web:signin-security": get(ADMIN_ONLY),
    "web:signin-unlock": post(ADMIN_ONLY),
    "web:staff-second-factor-reset": post(ADMIN_ONLY, pk=MISSING),
    "web:terminals": get(ADMIN_ONLY),
    # Who keeps missing card look-ups (guessing numbers?): the admin, who can revoke a key
    # or deactivate a staff member.
    "web:lookup-misses": get(ADMIN_ONLY),
    "web:terminal-revoke": post(ADMIN_ONLY, pk=MISSING),
    # Batches (production) and HQ's card stock: stock keeping.
    "web:batches": get(STOCK_KEEPERS),
    "web:batch-create": get(STOCK_KEEPERS),
    "web:batch-import": get(STOCK_KEEPERS),
    "web:batch-void": get(STOCK_KEEPERS),
    "web:batch": get(STOCK_KEEPERS, pk=MISSING),
    "web:batch-csv": get(STOCK_KEEPERS, pk=MISSING),
    "web:batch-proof": get(STOCK_KEEPERS, pk=MISSING),
    "web:batch-receive": post(STOCK_KEEPERS, pk=MISSING),
    "web:batch-cancel": post(STOCK_KEEPERS, pk=MISSING),
    "web:batch-sign": post(STOCK_KEEPERS, pk=MISSING, step="checked"),
    "web:stock": get(STOCK_KEEPERS),
    "web:stock-ranges": get(STOCK_KEEPERS),
    # The audit trail and backups: the admin's.
    "web:audit": get(ADMIN_ONLY),
    "web:audit-export": get(ADMIN_ONLY),
    "web:backups": get(ADMIN_ONLY),
    "web:backup-now": post(ADMIN_ONLY, stub={"membercard.ops.backups.services.back_up_now"}),
    # Business days: the manager closes the store's day; its Z report is for the manager
    # and HQ's money people. Reconciliation is HQ finance's board.
    "web:days": get({MANAGER}),
    "web:day-close": get({MANAGER}, day="2000-01-03"),
    "web:day-reopen": get({ADMIN, FINANCE, MANAGER}, code="S01", day="2000-01-03"),
    "web:day-z-report": get({MANAGER} | MONEY, code="S01", day="2000-01-03"),
    "web:reconciliation": get(MONEY),
    "web:reconciliation-day": get(MONEY, code="S01", day="2000-01-03"),
    "web:reconciliation-deposit": post(MONEY, code="S01", day="2000-01-03"),
    # Reports: HQ and store managers (their own store); a report naming members only for
    # the money people and managers.
    "web:reports": get(HQ | {MANAGER}),
    "web:report": (
        get(HQ | {MANAGER}, name="sales-inventory"),
        get(MONEY | {MANAGER}, name="top-members"),
    ),
    # Cards at HQ: every HQ role looks them up; money moves and card freezes from HQ are
    # the money people's, an adjustment (with a reason) finance's alone. Members' personal
    # data: the admin and finance only (a stock keeper has no need of it).
    "web:cards": get(HQ),
    "web:card-detail": get(HQ, number=MISSING_CARD),
    "web:card-adjust": post({FINANCE}, number=MISSING_CARD),
    "web:card-top-up": post(MONEY, number=MISSING_CARD),
    "web:card-freeze": post(MONEY, number=MISSING_CARD),
    "web:card-replace": post(MONEY, number=MISSING_CARD),
    "web:card-tier": post(MONEY, number=MISSING_CARD),
    # Four eyes: HQ's money people see requests; the services decide who decides which.
    "web:approvals": get(HQ),  # the stock keepers decide voids and batch orders
    # ...and a store manager their store's refund requests, approved at the counter.
    "web:approval": get(HQ | COUNTER, request_id=MISSING),  # a cashier: their own
    "web:approval-approve": post(HQ | {MANAGER}, request_id=MISSING),
    "web:approval-reject": post(HQ | {MANAGER}, request_id=MISSING),
    "web:counter-approvals": get(COUNTER),
    "web:approval-thresholds": get(HQ),
    "web:members": get(MONEY),
    "web:member-detail": get(MONEY, member_id=MISSING),
    "web:member-edit": get(MONEY, member_id=MISSING),
    "web:member-export": get(MONEY),
    # Loyalty programs: HQ reads them; limits are finance's, tiers and campaigns the admin's.
    "web:loyalty": get(HQ),
    "web:loyalty-limits": post(MONEY),
    "web:loyalty-product": get(HQ, code="nope"),
    "web:loyalty-tier-new": get(ADMIN_ONLY, code=TIERED_PRODUCT),
    "web:loyalty-tier": get(ADMIN_ONLY, code=TIERED_PRODUCT, tier_code="nope"),
    "web:campaigns": get(HQ),
    "web:campaign-new": get(ADMIN_ONLY),
    "web:campaign-edit": get(ADMIN_ONLY, campaign_id=MISSING),
    "web:campaign-end": post(ADMIN_ONLY, campaign_id=MISSING),
    # Gifts: HQ reads them, the admin defines them, stock keeping moves their stock.
    "web:gifts": get(HQ),
    "web:gift-new": get(ADMIN_ONLY),
    "web:gift-detail": get(HQ, code="nope"),
    "web:gift-edit": get(ADMIN_ONLY, code="nope"),
    "web:gift-stock": get(HQ),
    "web:gift-stock-move": post(STOCK_KEEPERS, action="receive"),
}

# Where each role works (store roles at S01, HQ roles at HQ: tests/factories.py).
ROLES = (ADMIN, FINANCE, STOCK, MANAGER, CASHIER)


def web_views() -> dict[str, object]:
    """url name -> view callable, for every named address in the ``web`` namespace
    (nested includes walked)."""
    views: dict[str, object] = {}

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name and namespace == "web":
                views[f"web:{pattern.name}"] = pattern.callback

    walk(get_resolver().url_patterns, "")
    return views


def cases() -> list:
    """One pytest param per (page, sample): most pages have one, some a few."""
    params = []
    for name in sorted(PAGES):
        samples = PAGES[name] if isinstance(PAGES[name], tuple) else (PAGES[name],)
        for sample in samples:
            label = name if len(samples) == 1 else f"{name}[{','.join(sample.kwargs.values())}]"
            params.append(pytest.param(name, sample, id=label))
    return params


def open_page(client: Client, name: str, page: Page):
    url = reverse(name, kwargs=page.kwargs)
    if page.method == "post":
        return client.post(url, {})
    return client.get(url)


def make_objects(page: Page) -> None:
    """What some pages need to reach their role check: a product with tiers."""
    if TIERED_PRODUCT in page.kwargs.values():
        f.product(code=TIERED_PRODUCT, has_tiers=True, has_points=True, points_per_unit=1)


def stub_out(monkeypatch, page: Page) -> None:
    for dotted in page.stub:
        module, attr = dotted.rsplit(".", 1)
        monkeypatch.setattr(
            module + "." + attr,
            lambda **kwargs: SimpleNamespace(verify_failed=False, file="stub", pk=1),
        )


def test_every_staff_page_is_in_the_table():
    missing = sorted(set(web_views()) - set(PAGES))
    assert not missing, f"add these pages to PAGES with the roles that may open them: {missing}"


def test_the_table_names_only_pages_that_exist():
    stale = sorted(set(PAGES) - set(web_views()))
    assert not stale, f"no such pages any more, remove them from PAGES: {stale}"


def test_every_staff_page_checks_the_role_on_the_server():
    unchecked = sorted(name for name, view in web_views().items() if not hasattr(view, "action"))
    assert not unchecked, f"wrap these views in access.staff_page(action): {unchecked}"


def expected_roles(name: str) -> frozenset[Role]:
    samples = PAGES[name] if isinstance(PAGES[name], tuple) else (PAGES[name],)
    return samples[0].roles  # a page's first sample: who gets past its wrapper


def test_each_page_lets_in_the_roles_the_table_gives_its_action():
    wrong = {}
    for name, view in sorted(web_views().items()):
        if name not in PAGES or not hasattr(view, "action"):
            continue  # reported by the tests above
        from_table = roles_for(view.action, at=view.at)
        if view.also is not None:
            from_table &= roles_for(view.also, at=view.at)
        if view.allowed_roles != from_table or from_table != expected_roles(name):
            expected = sorted(expected_roles(name))
            wrong[name] = f"{view.action}: table {sorted(from_table)}, expected {expected}"
    assert not wrong, wrong


def test_every_page_action_is_on_a_page():
    on_pages = {view.action for view in web_views().values() if hasattr(view, "action")}
    # Checked inside a page, for one of its samples: the report that names members.
    top_members = PAGES["web:report"][1]
    assert top_members.kwargs == {"name": "top-members"}
    assert top_members.roles == roles_for(Action.VIEW_MEMBER_REPORTS)
    assert PAGE_ACTIONS - on_pages == {Action.VIEW_MEMBER_REPORTS}


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_the_menu_shows_exactly_the_pages_the_role_may_open(role):
    shown = [entry["url"] for entry in menu_for(role)]
    expected = [reverse(item.url_name) for item in MENU if role in expected_roles(item.url_name)]
    assert shown == expected
    assert shown, f"{role} sees an empty menu"


@pytest.mark.parametrize(("name", "page"), cases())
def test_each_role_gets_the_page_or_403(name, page, monkeypatch):
    if name not in web_views():
        pytest.fail(f"{name} is in PAGES but no such page exists: remove its row")
    make_objects(page)
    stub_out(monkeypatch, page)
    answers = {role: open_page(signed_in(role), name, page).status_code for role in ROLES}
    wrong = {}
    for role, status in answers.items():
        if role in page.roles and (status in (403, 405) or status >= 500):
            wrong[str(role)] = f"{status}, expected to be let in"
        elif role not in page.roles and status != 403:
            wrong[str(role)] = f"{status}, expected 403"
    assert not wrong, f"{name}: {wrong} (all answers: {answers})"


@pytest.mark.parametrize(("name", "page"), cases())
def test_anonymous_visitors_are_sent_to_sign_in(name, page):
    response = open_page(Client(), name, page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
