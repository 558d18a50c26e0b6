"""HQ card pages: search every card, and one card with its full history, its chain of
replacements (the cards it replaced and the card that replaced it, each linked) and HQ's
actions (adjustment with a reason, top-up, freeze/unfreeze, replacement with a card from
HQ's stock, tier override)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.approvals.models import ApprovalRequest
from membercard.approvals.replacements import request_replacement
from membercard.approvals.services import request_adjustment, request_hq_top_up
from membercard.cards.lookups import look_up_card
from membercard.cards.models import Card, CardProduct
from membercard.cards.reader import parse_reader_input
from membercard.cards.selectors import replacement_chain
from membercard.cards.states import CardState
from membercard.core.errors import CardNotFound, DomainError
from membercard.core.http import client_address
from membercard.core.models import Location
from membercard.core.permissions import Action, allowed
from membercard.ledger.selectors import card_summary
from membercard.loyalty.models import Tier
from membercard.loyalty.selectors import card_points, tier_status
from membercard.loyalty.services.tiers import set_tier
from membercard.operations.card_life import freeze_card, replace_card, unfreeze_card
from membercard.reports.card_history import card_history
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.cards import AdjustmentForm, CardSearchForm, TierOverrideForm
from membercard.web.forms.counter import FreezeForm, ReplaceForm, TopUpForm
from membercard.web.forms.flows import submit
from membercard.web.lists import list_page

SORTABLE = ("number", "state", "product__name", "location__code", "activated_at")
# Only HQ finance may adjust a card (``corrections.adjust`` refuses anyone else).


def _search(queryset, text: str, *, by_mobile: bool):
    """Cards matching what was typed: reader input (number or RFID UID), part of a number,
    or (``by_mobile``) the last digits of a member's mobile."""
    text = text.strip()
    if not text:
        return queryset
    match = Q(pk__in=[])
    try:
        reference = parse_reader_input(text)
    except DomainError:  # not a refusal: the text is searched as digits and a mobile
        reference = None
    if reference is not None:
        field = "number" if reference.kind == "number" else "uid"
        match |= Q(**{field: reference.value})
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit():
        match |= Q(number__contains=digits)
        if by_mobile and len(digits) >= 4:
            match |= Q(member__mobile__endswith=digits)
    return queryset.filter(match)


@access.staff_page(Action.LOOK_UP_CARDS, at=access.HQ)
def card_list(request: HttpRequest) -> HttpResponse:
    products = CardProduct.objects.order_by("name")
    locations = Location.objects.order_by("code")
    form = CardSearchForm(request.GET or None, products=products, locations=locations)
    cards = Card.objects.select_related("product", "location", "sold_at")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        # Members' data is for HQ admin and finance, not the stock keeper.
        by_mobile = allowed(actor_of(request), Action.LIST_MEMBERS)
        cards = _search(cards, data["q"], by_mobile=by_mobile)
        if data["state"]:
            cards = cards.filter(state=data["state"])
        if data["product"]:
            cards = cards.filter(product__code=data["product"])
        if data["location"]:
            code = data["location"]
            cards = cards.filter(Q(location__code=code) | Q(sold_at__code=code))
    listing = list_page(
        request,
        cards,
        sortable=SORTABLE,
        default_sort="number",
        keep=("state", "product", "location"),
    )
    return render(request, "web/cards/list.html", {"form": form, "listing": listing})


def _card(number: str) -> Card:
    card = Card.objects.select_related("product", "member", "location", "sold_at").filter(
        number=number
    )
    found = card.first()
    if found is None:
        raise CardNotFound()
    return found


def _detail(request: HttpRequest, card: Card, status: int = 200, **forms) -> HttpResponse:
    actor = actor_of(request)
    tiers = list(Tier.objects.filter(product=card.product).order_by("rank"))
    finance = allowed(actor, Action.TOP_UP)  # money moves from HQ
    context = {
        "card": card,
        "summary": card_summary(card),
        "points": card_points(card) if card.product.has_points else None,
        "tier": tier_status(card) if card.product.has_tiers else None,
        "history": card_history(card),
        "chain": replacement_chain(card),
        "show_member": allowed(actor, Action.LIST_MEMBERS),
        "can_adjust": allowed(actor, Action.ADJUST),
        "can_finance": finance,
        # Any HQ role the table lets replace; the new card comes from HQ's stock.
        "can_replace": allowed(actor, Action.REPLACE)
        and card.state in (CardState.ACTIVE, CardState.FROZEN),
    }
    if context["can_replace"]:
        context["replace_form"] = forms.get("replace_form") or ReplaceForm()
    if finance:
        context.update(
            adjust_form=forms.get("adjust_form") or AdjustmentForm(),
            top_up_form=forms.get("top_up_form") or TopUpForm(),
            freeze_form=forms.get("freeze_form") or FreezeForm(),
            tier_form=forms.get("tier_form") or TierOverrideForm(tiers=tiers),
        )
    return render(request, "web/cards/detail.html", context, status=status)


@access.staff_page(Action.LOOK_UP_CARDS, at=access.HQ)
def card_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _card(number))


def _act(
    request: HttpRequest,
    card: Card,
    form: forms.Form,
    action: Callable[[dict], Any],
    *,
    shown_as: str,
    done: Callable[[Any], str],
) -> HttpResponse:
    """One of HQ's actions on the card: a refusal shows the card page again with the form
    (as ``shown_as``) carrying it; else the message ``done(result)`` and back to the card."""
    outcome = submit(form, action)
    if not outcome.done:
        return _detail(request, card, outcome.status, **{shown_as: form})
    messages.success(request, done(outcome.result))
    return redirect(reverse("web:card-detail", args=[card.number]))


def _receipt(message: str) -> Callable[[Any], str]:
    return lambda operation: message % {"receipt": operation.receipt_number}


def _posted_or_sent(message: str) -> Callable[[Any], str]:
    """At or above the approval thresholds the action is a request (linked); else the
    operation was posted (``message`` with its receipt)."""

    def done(result: Any) -> str:
        if isinstance(result, ApprovalRequest):
            return format_html(
                '{} <a href="{}">{}</a>',
                _("Sent for approval:"),
                reverse("web:approval", args=[result.pk]),
                _("request #%(number)d") % {"number": result.pk},
            )
        return _receipt(message)(result)

    return done


@require_POST
@access.staff_page(Action.REQUEST_ADJUSTMENT)
def card_adjust(request: HttpRequest, number: str) -> HttpResponse:
    card = _card(number)
    return _act(
        request,
        card,
        AdjustmentForm(request.POST),
        lambda data: request_adjustment(
            actor=actor_of(request),
            card_number=card.number,
            bucket=data["bucket"],
            delta=data["delta"],
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
        ),
        shown_as="adjust_form",
        done=_posted_or_sent(_("Adjustment %(receipt)s posted.")),
    )


@require_POST
@access.staff_page(Action.TOP_UP, at=access.HQ)
def card_top_up(request: HttpRequest, number: str) -> HttpResponse:
    card = _card(number)
    return _act(
        request,
        card,
        TopUpForm(request.POST),
        lambda data: request_hq_top_up(
            actor=actor_of(request),
            card_number=card.number,
            amount_minor=data["amount"],
            tender=data["tender"],
            idempotency_key=data["idempotency_key"],
        ),
        shown_as="top_up_form",
        done=_posted_or_sent(_("Top-up %(receipt)s posted.")),
    )


@require_POST
@access.staff_page(Action.FREEZE, at=access.HQ)
def card_freeze(request: HttpRequest, number: str) -> HttpResponse:
    card = _card(number)
    service = unfreeze_card if request.POST.get("action") == "unfreeze" else freeze_card
    return _act(
        request,
        card,
        FreezeForm(request.POST),
        lambda data: service(
            actor=actor_of(request), card_number=card.number, reason=data["reason"]
        ),
        shown_as="freeze_form",
        done=lambda _operation: (
            _("The card is now %(state)s.") % {"state": _card(number).get_state_display()}
        ),
    )


@require_POST
@access.staff_page(Action.SET_TIER)
def card_tier(request: HttpRequest, number: str) -> HttpResponse:
    card = _card(number)
    tiers = Tier.objects.filter(product=card.product).order_by("rank")
    return _act(
        request,
        card,
        TierOverrideForm(request.POST, tiers=tiers),
        lambda data: set_tier(
            actor=actor_of(request),
            card_number=card.number,
            tier_code=data["tier"] or None,
            reason=data["reason"],
            hold_until=data["hold_until"],
        ),
        shown_as="tier_form",
        done=lambda _tier: _("The card's tier was changed."),
    )


@require_POST
@access.staff_page(Action.REPLACE, at=access.HQ)
def card_replace(request: HttpRequest, number: str) -> HttpResponse:
    """Replace a lost or damaged card with one from HQ's stock (scanned: a look-up through
    the one throttle); over the prepaid limit it may be sent for approval (four eyes)."""
    card = _card(number)
    actor = actor_of(request)

    def replace_it(data: dict) -> Any:
        new = look_up_card(actor, data["new_card"], address=client_address(request))
        numbers = {"old_number": card.number, "new_number": new.card.number}
        if data["ask_approval"]:
            return request_replacement(
                actor=actor, **numbers, idempotency_key=data["idempotency_key"],
                reason=data["reason"],
            )  # fmt: skip
        return replace_card(
            actor=actor,
            **numbers,
            idempotency_key=data["idempotency_key"],
            reason=data["reason"],
            read_as=new.read_as or "",  # how the new card was scanned from HQ's stock
        )

    return _act(
        request,
        card,
        ReplaceForm(request.POST),
        replace_it,
        shown_as="replace_form",
        done=_posted_or_sent(_("Replacement %(receipt)s posted.")),
    )
