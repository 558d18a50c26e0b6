"""The counter's "Find a customer's cards": a customer without the card (lost, stolen, at
home) gives their mobile number or name, the cashier sees their cards masked to the last
four digits, and freezes or replaces one from the list.

Thin: the search, its scope, throttle and audit row are ``loyalty.lost_cards``. The form is
posted (a mobile number or a name never goes into a URL), and each card in the answer is
named by a found-card handle (``counter.found_ref``), never by its number: the freeze and
replace pages post the handle back, so the number never reaches the page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from membercard.core.http import client_address
from membercard.core.permissions import Action, allowed
from membercard.loyalty.lost_cards import find_members_cards
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.counter import FindCardsForm
from membercard.web.forms.flows import submit
from membercard.web.views.counter import found_ref


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.LOOK_UP_MEMBERS, at=access.STORE)
def find_cards(request: HttpRequest) -> HttpResponse:
    """GET: the search form. POST: the member's issued cards this store may list, each with
    the freeze and replace buttons this role has (a refusal, 429 included, on the form)."""
    actor = actor_of(request)
    form = FindCardsForm(request.POST if request.method == "POST" else None)
    rows = None
    status = 200
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: find_members_cards(
                actor=actor,
                mobile=data["mobile"],
                name=data["name"],
                address=client_address(request),
            ),
        )
        status = outcome.status
        if outcome.done:
            rows = [(found, found_ref(actor, found.card)) for found in outcome.result or []]
    context = {
        "form": form,
        "rows": rows,
        "can_freeze": allowed(actor, Action.FREEZE),
        "can_replace": allowed(actor, Action.REPLACE),
    }
    return render(request, "web/counter/find.html", context, status=status)
