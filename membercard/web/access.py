"""Who may open which staff page: one table, checked on the server for every request.

Every staff view is wrapped in ``staff_page(roles)``. The wrapper signs the user in (or
sends them to the login page), turns the staff member into an ``Actor`` and refuses the
page with 403 unless the actor's role is listed. Menus only *hide* what the server refuses
here, so a hand-typed address gets the same answer as a hidden link.

Domain errors raised by a service are rendered once, here: a full page for a normal
request, a fragment for an htmx request (see ``web/_error.html``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import DomainError, NotPermitted, Throttled
from membercard.core.models import HQ_ROLES, STORE_ROLES, Role

# Role groups in the merchant's words (DESIGN.md, "Who uses it").
EVERYONE = frozenset(Role)
HQ = HQ_ROLES
STORE = STORE_ROLES  # the counter: cashiers and managers
MANAGER = frozenset({Role.STORE_MANAGER})
ADMIN = frozenset({Role.HQ_ADMIN})
FINANCE = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE})
STOCK_KEEPING = frozenset({Role.HQ_ADMIN, Role.HQ_STOCK})
# Handovers and stock are HQ's work, but a store manager receives and checks them.
STOCK_AND_STORES = STOCK_KEEPING | MANAGER

View = Callable[..., HttpResponse]

# view function's dotted name -> roles allowed; tests walk this table.
PAGE_ROLES: dict[str, frozenset[Role]] = {}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The one place a domain error becomes a page (or an htmx fragment)."""
    template = "web/_error.html" if is_htmx(request) else "web/error.html"
    response = render(request, template, {"error": error}, status=error.status)
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.retry_after)
    if is_htmx(request):
        # Errors replace the form's message area, whatever the form targeted.
        response["HX-Retarget"] = request.headers.get("X-Error-Target", "#messages")
        response["HX-Reswap"] = "innerHTML"
    return response


def actor_of(request: HttpRequest) -> Actor:
    """The signed-in staff member as an Actor (set by ``staff_page``)."""
    return request.actor  # type: ignore[attr-defined]


def staff_page(roles: Iterable[Role]) -> Callable[[View], View]:
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        PAGE_ROLES[f"{view.__module__}.{view.__qualname__}"] = allowed

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                actor = Actor.for_staff(request.user)
                if actor.role not in allowed:
                    raise NotPermitted(
                        _("%(role)s may not open this page.") % {"role": actor.role.label},
                        role=str(actor.role),
                    )
                request.actor = actor  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            except DomainError as error:
                return render_error(request, error)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorate
