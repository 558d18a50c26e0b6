"""Who may open which staff page: the one permission table, checked on the server for
every request.

Every staff view is wrapped in ``staff_page(action)``, naming the action of
``membercard.core.permissions`` the page does (or shows), and, for pages of one side of
the business, ``at=HQ`` or ``at=STORE`` (the card pages are HQ's; the business day and the
counter's top-up are the store's). The counter serves whoever the table lets do its
actions: the store's staff, and HQ admin and finance at HQ (selling cards from HQ's stock);
its look-up is for those who also take payments (``also=``), so HQ's stock keeping, which
looks cards up on the card pages, has no counter. The wrapper signs the user in (or sends
them to the login page), turns the staff member into an ``Actor`` and refuses the page
with 403 unless the table lets the actor's role do the action there. Menus
(``web/navigation.py``) show exactly the pages the server lets in, so a hand-typed address
gets the same answer as a hidden link.

Domain errors raised by a service are rendered once, here: a full page for a normal
request, a fragment for an htmx request (see ``web/_error.html``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.errors import DomainError, NotPermitted, Throttled
from membercard.core.models import LocationKind, Role
from membercard.core.permissions import Action, allowed, roles_for

HQ = LocationKind.HQ
STORE = LocationKind.STORE

View = Callable[..., HttpResponse]

# view function's dotted name -> roles let in (from the permission table); tests walk it.
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


def page_roles(
    action: Action, at: LocationKind | None = None, also: Action | None = None
) -> frozenset[Role]:
    """The roles a page doing ``action`` (and ``also``, when given) lets in."""
    roles = roles_for(action, at=at)
    return roles & roles_for(also, at=at) if also is not None else roles


def may_open(
    actor: Actor, action: Action, at: LocationKind | None = None, also: Action | None = None
) -> bool:
    """Whether ``actor`` may open a page doing ``action`` (and ``also``; on the ``at`` side
    only)."""
    if actor.role not in page_roles(action, at, also):
        return False
    return allowed(actor, action) and (also is None or allowed(actor, also))


def staff_page(
    action: Action, *, at: LocationKind | None = None, also: Action | None = None
) -> Callable[[View], View]:
    """Wrap a staff view: only roles the table lets do ``action`` (working at ``at``, HQ or
    a store, when the page belongs to one side; and let do ``also`` too, when given) get
    in."""
    roles = page_roles(action, at, also)

    def decorate(view: View) -> View:
        PAGE_ROLES[f"{view.__module__}.{view.__qualname__}"] = roles

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                actor = Actor.for_staff(request.user)
                if not may_open(actor, action, at, also):
                    raise NotPermitted(
                        _("%(role)s may not open this page.") % {"role": actor.role.label},
                        role=str(actor.role),
                    )
                request.actor = actor  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            except DomainError as error:
                return render_error(request, error)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]
        wrapper.action = action  # type: ignore[attr-defined]
        wrapper.at = at  # type: ignore[attr-defined]
        wrapper.also = also  # type: ignore[attr-defined]
        return wrapper

    return decorate
