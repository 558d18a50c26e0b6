"""The start page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from membercard.cards.lookups import misses_to_alert
from membercard.core.models import STORE_ROLES
from membercard.web import selectors
from membercard.web.navigation import waiting_approvals
from membercard.web.views.approvals import approval_approve
from membercard.web.views.lookups import lookup_misses

# Whoever may open the "Look-up misses" page is alerted on the home page.
_ALERTED = lookup_misses.allowed_roles
# Whoever may open the approvals pages is told how many requests wait for them.
_DECIDING = approval_approve.allowed_roles


def start(request: HttpRequest) -> HttpResponse:
    """Store staff go straight to the counter; HQ sees the figures and its menu (HQ admin
    also an alert when a terminal key or staff member keeps missing card look-ups: someone
    may be guessing numbers); anyone else gets the product's name and the sign-in button."""
    user = request.user
    if user.is_authenticated and user.role in STORE_ROLES:
        try:
            return redirect(reverse("web:counter"))
        except NoReverseMatch:
            pass
    figures = selectors.start_page_figures() if user.is_authenticated and user.role else None
    alerts = list(misses_to_alert()[:10]) if figures and user.role in _ALERTED else []
    waiting = waiting_approvals(user) if figures and user.role in _DECIDING else 0
    context = {"stats": figures, "lookup_alerts": alerts, "waiting_approvals": waiting}
    return render(request, "web/start.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and scripts: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
