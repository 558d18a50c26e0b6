"""The counter's other operations, each a small page reached from the card panel: sell a
card from this store's stock, top up, refund and reverse (managers), redeem a gift,
register or edit the member. The card's life (freeze, unfreeze, replace, unlock the PIN)
is in ``counter_card_life.py``, built from the helpers here.

Each page: GET shows the form (money forms with a fresh idempotency key), POST calls one
service and shows the receipt (or goes back to the counter). A refusal is shown on the
form, with what was typed kept. A page opened from the panel names its card by the
panel's signed handle (``?ref=``), never by number; the form posts the number back in its
body. Numbers typed into a form (the card to sell, the replacement card) are look-ups
through the one throttle, like a swipe at the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from membercard.approvals.models import ApprovalRequest
from membercard.approvals.refunds import request_refund
from membercard.cards.lookups import look_up_card
from membercard.core.errors import NotFound
from membercard.core.http import client_address
from membercard.core.permissions import Action
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.selectors import CardSummary
from membercard.loyalty.gift_selectors import gifts_at
from membercard.loyalty.selectors import member_to_edit
from membercard.loyalty.services import register_and_link, update_member
from membercard.operations import reverse, sell_card, top_up
from membercard.operations.gifts import redeem_gift
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.counter import (
    GiftRedeemForm,
    RefundForm,
    ReverseForm,
    SellForm,
    TopUpForm,
)
from membercard.web.forms.flows import submit
from membercard.web.forms.members import FIELDS as MEMBER_FIELDS
from membercard.web.forms.members import MemberForm
from membercard.web.views.counter import (
    counter_url,
    posted_card,
    read_as_of,
    summary_for_found,
    summary_for_ref,
)

FORM_PAGE = "web/counter/form_page.html"


def _page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    submit: str,
    submit_id: str,
    summary: CardSummary | None = None,
    operation: Operation | None = None,
    danger: bool = False,
    status: int = 200,
    note: str = "",
    back: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "submit_id": submit_id,
        "summary": summary,
        "operation": operation,
        "danger": danger,
        "note": note,
        "back": back or counter_url(summary.card if summary else ""),
    }
    return render(request, FORM_PAGE, context, status=status)


def found_handle(request: HttpRequest) -> str:
    """The found-card handle a freeze or replace page was opened with or posts back."""
    data = request.POST if request.method == "POST" else request.GET
    return data.get("found", "")


def card_param(request: HttpRequest) -> CardSummary:
    """The card a page acts on: posted back by number in the form's body, or named by the
    panel's handle in the link that opened the page (or by a found-card handle)."""
    found = found_handle(request)
    if found:
        return summary_for_found(actor_of(request), found)
    if request.method == "POST":
        return posted_card(request)
    return summary_for_ref(actor_of(request), request.GET.get("ref", ""))


def _store_operation(request: HttpRequest, kind: str | None = None) -> Operation:
    """An operation of this store named by ``operation`` (another store's answers 404)."""
    raw = request.POST.get("operation") or request.GET.get("operation") or ""
    operation = None
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        operation = (
            Operation.objects.select_related("card", "card__product")
            .filter(pk=int(raw), location=actor_of(request).location)
            .first()
        )
    if operation is None or (kind is not None and operation.kind != kind):
        raise NotFound(_("No such operation at this store."))
    return operation


def to_receipt(operation: Operation) -> HttpResponse:
    return redirect("web:receipt", operation_id=operation.pk)


def form_flow(
    request: HttpRequest,
    make_form: Callable[..., forms.Form],
    page: dict,
    *,
    initial: dict,
    perform: Callable[[dict], object],
    done: Callable[[object], HttpResponse] = to_receipt,
) -> HttpResponse:
    """Every counter form page: GET shows the form; POST validates it and calls the service
    with its cleaned data, then shows the receipt, or the form again with the refusal."""
    if request.method == "GET":
        return _page(request, make_form(initial=initial), **page)
    form = make_form(request.POST)
    outcome = submit(form, perform)
    if not outcome.done:
        return _page(request, form, status=outcome.status, **page)
    return done(outcome.result)


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.SELL_CARD)
def sell(request: HttpRequest) -> HttpResponse:
    """Sell a card from this location's stock (a store's, or HQ's for HQ admin and
    finance): scan it, type the initial value, the tender,
    and optionally the member's name and mobile."""
    actor = actor_of(request)
    page = {"title": _("Sell a card"), "submit": _("Sell the card"), "submit_id": "sell-submit"}

    def sell_it(data: dict) -> Operation:
        summary = look_up_card(actor, data["card"], address=client_address(request))
        return sell_card(
            actor=actor,
            card_number=summary.card.number,
            initial_value_minor=data["initial_value"],
            tender=data["tender"],
            idempotency_key=data["idempotency_key"],
            member_name=data["member_name"],
            member_mobile=data["member_mobile"],
            pin=data["pin"] or None,
            read_as=summary.read_as,
        )

    # "Sell this card" on the panel of a card in stock here fills the card in.
    ref = request.GET.get("ref", "")
    initial = {"card": summary_for_ref(actor, ref).card.number if ref else ""}
    return form_flow(request, SellForm, page, initial=initial, perform=sell_it)


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.TOP_UP, at=access.STORE)
def topup(request: HttpRequest) -> HttpResponse:
    """Top up where the product lets stores. The store's page: HQ tops up on its card page,
    where a top-up at or above the HQ threshold waits for a second person (four eyes)."""
    summary = card_param(request)
    page = {"title": _("Top up"), "submit": _("Top up"), "submit_id": "topup-submit"}
    return form_flow(
        request,
        TopUpForm,
        {**page, "summary": summary},
        initial={"card": summary.card.number, "read_as": read_as_of(request)},
        perform=lambda data: top_up(
            actor=actor_of(request),
            card_number=summary.card.number,
            amount_minor=data["amount"],
            tender=data["tender"],
            idempotency_key=data["idempotency_key"],
            read_as=data["read_as"],
        ),
    )


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.REFUND)
def refund_view(request: HttpRequest) -> HttpResponse:
    """Refund (part of) a purchase of this store. A cashier's refund outside the counter
    refund rule is sent to a manager for approval (``approvals.refunds``): the page says so
    and the manager approves it at the counter ("Waiting for approval")."""
    original = _store_operation(request, OperationKind.PURCHASE)
    page = {"title": _("Refund a purchase"), "submit": _("Refund"), "submit_id": "refund-submit"}

    def done(result: object) -> HttpResponse:
        if not isinstance(result, ApprovalRequest):
            return to_receipt(result)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Sent to a manager for approval: request #%(number)d") % {"number": result.pk},
        )
        return redirect(counter_url(original.card))

    return form_flow(
        request,
        RefundForm,
        {**page, "operation": original, "danger": True},
        initial={"operation": original.pk, "amount": original.net_minor},
        perform=lambda data: request_refund(
            actor=actor_of(request),
            operation_id=original.pk,
            amount_minor=data["amount"],
            idempotency_key=data["idempotency_key"],
            reason=data["reason"],
        ),
        done=done,
    )


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.REVERSE_OTHERS)
def reverse_view(request: HttpRequest) -> HttpResponse:
    """Reverse an operation of today at this store (managers)."""
    original = _store_operation(request)
    page = {
        "title": _("Reverse an operation"),
        "submit": _("Reverse it"),
        "submit_id": "reverse-submit",
    }
    return form_flow(
        request,
        ReverseForm,
        {**page, "operation": original, "danger": True},
        initial={"operation": original.pk},
        perform=lambda data: reverse(
            actor=actor_of(request),
            operation_id=original.pk,
            idempotency_key=data["idempotency_key"],
            reason=data["reason"],
        ),
    )


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.REDEEM_GIFT)
def gift(request: HttpRequest) -> HttpResponse:
    """Redeem a gift in stock here for the card's points (with the PIN, where the card's
    product needs one to pay)."""
    summary = card_param(request)
    offers = gifts_at(actor_of(request).location, in_stock_only=True)
    page = {
        "title": _("Redeem a gift"),
        "submit": _("Redeem"),
        "submit_id": "gift-submit",
        "summary": summary,
        "note": "" if offers else _("No gifts in stock at this store today."),
    }
    return form_flow(
        request,
        partial(GiftRedeemForm, gifts=offers, needs_pin=summary.card.product.pin_required),
        page,
        initial={"card": summary.card.number, "read_as": read_as_of(request)},
        perform=lambda data: redeem_gift(
            actor=actor_of(request),
            card_number=summary.card.number,
            gift_code=data["gift"],
            quantity=data["quantity"],
            idempotency_key=data["idempotency_key"],
            pin=data.get("pin") or None,
            read_as=data["read_as"],
        ),
    )


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.REGISTER_MEMBER)
def member(request: HttpRequest) -> HttpResponse:
    """Register the card's customer as a member, or change the member's details."""
    summary = card_param(request)
    existing = summary.card.member
    actor, address = actor_of(request), client_address(request)
    page = {
        "title": _("Edit the member") if existing else _("Register a member"),
        "submit": _("Save"),
        "submit_id": "member-submit",
        "summary": summary,
    }
    initial: dict[str, object] = {"card": summary.card.number}
    make_form = MemberForm
    if existing is not None and request.method == "GET":
        # Masked at a store (the form asks for a new number instead), and the read logged.
        initial.update(member_to_edit(actor=actor, member=existing, address=address))
    if existing is not None and not actor.at_hq:
        make_form = partial(MemberForm, mobile_on_file=existing.masked_mobile)

    def save(data: dict):
        details = {name: data[name] for name in MEMBER_FIELDS}
        if existing is not None:
            return update_member(actor=actor, member_id=existing.pk, address=address, **details)
        # One transaction: a refused link leaves no member behind.
        return register_and_link(
            actor=actor, card_number=summary.card.number, address=address, **details
        )

    return form_flow(
        request,
        make_form,
        page,
        initial=initial,
        perform=save,
        done=lambda _member: redirect(counter_url(summary.card.number)),
    )
