"""Stocktakes: start a count, scan or type the cards there (numbers or ranges), see what is
missing and unexpected, confirm or cancel.

HQ's stock keepers see every location's stocktakes; a store manager sees their store's
only (another store's answers 404). Only staff at the stocktake's location may count or
confirm; the services check that again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.core.actors import Actor
from membercard.core.errors import DomainError, NotFound, PaymentCardRefused
from membercard.core.permissions import Action, allowed
from membercard.inventory.errors import StocktakeAlreadyOpen
from membercard.inventory.models import Stocktake, StocktakeState
from membercard.inventory.services import stocktakes as services
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.flows import INVALID
from membercard.web.forms.stock import CardsForm, NoteForm, ReasonForm
from membercard.web.lists import list_page
from membercard.web.views.stock_common import (
    CARD_STATES,
    STOCKTAKE_STATES,
    labelled,
    numbers_in_ranges,
)

CARDS_SHOWN = 200


def _visible(actor: Actor):
    stocktakes = Stocktake.objects.select_related("location", "started_by", "confirmed_by")
    if actor.at_hq:
        return stocktakes
    return stocktakes.filter(location=actor.location)


def _stocktake(actor: Actor, pk: int) -> Stocktake:
    stocktake = _visible(actor).filter(pk=pk).first()
    if stocktake is None:  # another store's stocktake does not exist for this user
        raise NotFound(_("No stocktake with that number here."))
    return stocktake


@staff_page(Action.STOCKTAKE_LEAD)
def stocktakes(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    listing = list_page(
        request,
        _visible(actor),
        search=("location__code__iexact", "location__name__icontains", "note__icontains"),
        sortable=("pk", "location__code", "state", "started_at", "confirmed_at"),
        default_sort="-pk",
    )
    listing.page.object_list = labelled(listing.rows, "state", STOCKTAKE_STATES)
    open_here = Stocktake.objects.filter(location=actor.location, state=StocktakeState.OPEN).first()
    context = {"listing": listing, "open_here": open_here, "start_form": NoteForm()}
    return render(request, "web/stock/stocktakes.html", context)


@require_POST
@staff_page(Action.STOCKTAKE_LEAD)
def stocktake_start(request: HttpRequest) -> HttpResponse:
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        stocktake = services.start_stocktake(actor=actor_of(request), note=note)
    except StocktakeAlreadyOpen as error:
        # A second click or a colleague's count: carry on with the one that is open.
        messages.warning(request, error.message)
        return redirect("web:stocktake", pk=error.extra["stocktake"])
    messages.success(request, _("Stocktake started: scan every card that is here."))
    return redirect("web:stocktake", pk=stocktake.pk)


def _page(
    request: HttpRequest, stocktake: Stocktake, *, form=None, cancel_form=None, status=200
) -> HttpResponse:
    actor = actor_of(request)
    result = services.stocktake_result(stocktake)
    here = stocktake.location_id == actor.location.pk
    is_open = stocktake.state == StocktakeState.OPEN
    missing = Paginator(result.missing_ranges, CARDS_SHOWN).get_page(request.GET.get("page"))
    stocktake.state_label = STOCKTAKE_STATES.get(stocktake.state, "")
    context = {
        "stocktake": stocktake,
        "result": result,
        "missing_ranges": missing,
        "unexpected": [
            (item, CARD_STATES.get(item.state, item.state)) for item in result.unexpected
        ][:CARDS_SHOWN],
        "can_count": here and is_open,
        "can_lead": here and is_open and allowed(actor, Action.STOCKTAKE_LEAD),
        "form": form or CardsForm(),
        "cancel_form": cancel_form or ReasonForm(),
    }
    return render(request, "web/stock/stocktake_detail.html", context, status=status)


@staff_page(Action.STOCKTAKE_LEAD)
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _stocktake(actor_of(request), pk))


@require_POST
@staff_page(Action.STOCKTAKE_LEAD)
def stocktake_count(request: HttpRequest, pk: int) -> HttpResponse:
    """Count every card typed, scanned or in a typed range. Each card is counted on its own
    (counting twice is harmless); entries that cannot be counted stay in the box with why."""
    actor = actor_of(request)
    stocktake = _stocktake(actor, pk)
    form = CardsForm(request.POST)
    if not form.is_valid():
        return _page(request, stocktake, form=form, status=INVALID)
    within = services.countable_cards(actor)
    in_ranges = numbers_in_ranges(form.cleaned_data["ranges"], form, within=within)
    if in_ranges is None:
        return _page(request, stocktake, form=form, status=INVALID)
    counted = repeated = unexpected = 0
    left: list[str] = []
    problems: list[str] = []
    for position, entry in enumerate([*form.cleaned_data["numbers"], *in_ranges], start=1):
        try:
            result = services.count_card(actor=actor, stocktake_id=stocktake.pk, raw_input=entry)
        except DomainError as error:
            # Not ``flows.submit``: one service call per entry, and a refused entry does not
            # stop the others; the refusals are gathered on a fresh form below.
            if error.code in ("not_found", "stocktake_not_open", "not_permitted"):
                raise
            # The bad entry is named by its position: it might be a bank card's number.
            problems.append(_("Entry %(n)d: %(why)s") % {"n": position, "why": error.message})
            if error.code != PaymentCardRefused.code:  # a bank card's number is never shown
                left.append(entry)
            continue
        repeated += result.already_counted
        counted += not result.already_counted
        unexpected += not result.expected_here
    summary = _("%(counted)d counted, %(repeated)d already counted, %(unexpected)d unexpected.")
    messages.success(
        request, summary % {"counted": counted, "repeated": repeated, "unexpected": unexpected}
    )
    if problems:
        retry = CardsForm(initial={"numbers": "\n".join(left)})
        retry.cleaned_data = {}
        for problem in problems:
            retry.add_error(None, problem)
        return _page(request, stocktake, form=retry, status=INVALID)
    return redirect("web:stocktake", pk=stocktake.pk)


@require_POST
@staff_page(Action.STOCKTAKE_LEAD)
def stocktake_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    stocktake = _stocktake(actor, pk)
    result = services.confirm_stocktake(actor=actor, stocktake_id=stocktake.pk)
    if result.is_clean:
        messages.success(request, _("Stocktake confirmed: the count matches the stock."))
    else:
        messages.warning(
            request,
            _("Stocktake confirmed with %(missing)d missing and %(unexpected)d unexpected cards.")
            % {"missing": len(result.missing), "unexpected": len(result.unexpected)},
        )
    return redirect("web:stocktake", pk=stocktake.pk)


@require_POST
@staff_page(Action.STOCKTAKE_LEAD)
def stocktake_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    stocktake = _stocktake(actor, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _page(request, stocktake, cancel_form=form, status=INVALID)
    services.cancel_stocktake(
        actor=actor, stocktake_id=stocktake.pk, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("Stocktake cancelled."))
    return redirect("web:stocktake", pk=stocktake.pk)
