"""Recovered cards: one-time cards handed back at this location and left "to check"
(``operations.hand_back``). Whoever may restock (a store manager, HQ's admin and stock
keepers) puts a card fit to sell back into stock here (``restock_card``). At HQ a card
unfit to sell is voided under four eyes (``approvals.stock.request_card_void``, like any
void of HQ stock). A store never voids: it sends the card back to HQ on a handover, where
HQ restocks or voids it.

Each page lists only the actor's own location's recovered cards, and a posted card is
looked for among those only: a card that is not (or no longer) recovered here, another
location's or one that does not exist, all get the same "not waiting here" message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.approvals.stock import request_card_void
from membercard.cards.models import Card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import DomainError
from membercard.core.permissions import Action, allowed
from membercard.inventory.models import StockMovement
from membercard.operations.card_life import restock_card
from membercard.web import access
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.stock import RecoveredCardForm, RecoveredVoidForm
from membercard.web.views.stock_common import sent_for_approval

PAGE = "web:recovered-cards"


def _recovered_here(actor: Actor):
    return (
        Card.objects.filter(state=CardState.RECOVERED, location=actor.location)
        .select_related("product")
        .order_by("product__code", "number")
    )


def _since(cards: list[Card]) -> dict[int, object]:
    """When each card was handed back (its latest ``card.recovered`` movement)."""
    moves = StockMovement.objects.filter(card__in=cards, event="card.recovered").values_list(
        "card_id", "created_at"
    )
    since: dict[int, object] = {}
    for card_id, at in moves:
        since[card_id] = max(at, since.get(card_id, at))
    return since


@staff_page(Action.RESTOCK)
def recovered_cards(request: HttpRequest) -> HttpResponse:
    """The cards handed back here that wait to be checked."""
    actor = actor_of(request)
    cards = list(_recovered_here(actor))
    since = _since(cards)
    may_void = actor.at_hq and allowed(actor, Action.VOID_CARDS)
    rows = [
        {
            "card": card,
            "since": since.get(card.pk),
            "void_form": RecoveredVoidForm(initial={"card": card.pk}) if may_void else None,
        }
        for card in cards
    ]
    context = {"rows": rows, "location": actor.location, "may_void": may_void}
    return render(request, "web/stock/recovered.html", context)


def _posted_card(request: HttpRequest) -> Card | None:
    """The posted card if it is recovered at the actor's location (else a message)."""
    card = None
    form = RecoveredCardForm(request.POST)
    if form.is_valid():
        card = _recovered_here(actor_of(request)).filter(pk=form.cleaned_data["card"]).first()
    if card is None:
        messages.error(request, _("That card is not waiting to be checked here."))
    return card


@require_POST
@staff_page(Action.RESTOCK)
def recovered_restock(request: HttpRequest) -> HttpResponse:
    """The card is fit to sell again: back into stock here."""
    card = _posted_card(request)
    if card is not None:
        try:
            restock_card(actor=actor_of(request), card_number=card.number)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Card %(card)s is back in stock.") % {"card": card.masked_number}
            )
    return redirect(reverse(PAGE))


@require_POST
@staff_page(Action.VOID_CARDS, at=access.HQ)
def recovered_void(request: HttpRequest) -> HttpResponse:
    """The card is unfit to sell: a void request (four eyes), voided once approved."""
    card = _posted_card(request)
    form = RecoveredVoidForm(request.POST)
    if card is None:
        return redirect(reverse(PAGE))
    if not form.is_valid():
        messages.error(request, _("Say why the card is void (damaged, worn...)."))
        return redirect(reverse(PAGE))
    try:
        approval = request_card_void(
            actor=actor_of(request),
            numbers=[card.number],
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse(PAGE))
    messages.success(request, sent_for_approval(approval))
    return redirect(reverse("web:approval", args=[approval.pk]))
