"""The card's life at the counter: freeze (report lost), unfreeze (managers), replace with a
card from this store's stock, hand back a one-time card, unlock the PIN (managers). Pages
shaped like the other counter operations (``counter_ops.py``), whose helpers they use.

Freeze and replace also open for a card found by its member's mobile or name (a lost card,
``counter_find.py``): named by a found-card handle (``?found=``), which the form posts back
instead of the number, so the card's number never reaches the page; "back" goes to the
search, and a found card, once frozen, goes straight on to its replacement.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from membercard.approvals.models import ApprovalRequest
from membercard.approvals.replacements import request_replacement
from membercard.cards.lookups import look_up_card
from membercard.cards.models import ValueOnHandBack
from membercard.cards.pins import unlock_pin
from membercard.core.http import client_address
from membercard.core.permissions import Action, allowed
from membercard.ledger.models import Operation
from membercard.ledger.selectors import CardSummary
from membercard.operations.card_life import freeze_card, replace_card, unfreeze_card
from membercard.operations.hand_back import hand_back_card
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.counter import FreezeForm, HandBackForm, PinUnlockForm, ReplaceForm
from membercard.web.views.counter import counter_url, read_as_of
from membercard.web.views.counter_ops import card_param, form_flow, found_handle, to_receipt


def _card_fields(summary: CardSummary, found: str) -> dict[str, str]:
    """How a form names its card when posted back: the found-card handle for a card found
    by its member (its number stays off the page), else the number, as the panel does."""
    return {"found": found} if found else {"card": summary.card.number}


def _back(found: str) -> str:
    """Where "back" goes from a found card's page: the search, not the card panel."""
    return reverse("web:counter-find") if found else ""


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.FREEZE)
def freeze(request: HttpRequest) -> HttpResponse:
    """Report the card lost: it is frozen (nothing can be paid with it) until replaced or
    unfrozen by a manager."""
    summary = card_param(request)
    found = found_handle(request)
    page = {
        "title": _("Report the card lost (freeze it)"),
        "submit": _("Freeze the card"),
        "submit_id": "freeze-submit",
    }

    def done(operation: object) -> HttpResponse:
        """A found card goes on to its replacement (the customer is at the counter)."""
        if not found or not allowed(actor_of(request), Action.REPLACE):
            return to_receipt(operation)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Card frozen (receipt %(receipt)s). Replace it now, or come back later.")
            % {"receipt": operation.receipt_number},  # type: ignore[attr-defined]
        )
        return redirect(f"{reverse('web:counter-replace')}?{urlencode({'found': found})}")

    return form_flow(
        request,
        FreezeForm,
        {**page, "summary": summary, "danger": True, "back": _back(found)},
        initial={**_card_fields(summary, found), "read_as": read_as_of(request)},
        perform=lambda data: freeze_card(
            actor=actor_of(request),
            card_number=summary.card.number,
            reason=data["reason"],
            read_as=data["read_as"],
        ),
        done=done,
    )


@require_POST
@access.staff_page(Action.UNFREEZE)
def unfreeze(request: HttpRequest) -> HttpResponse:
    summary = card_param(request)
    operation = unfreeze_card(
        actor=actor_of(request), card_number=summary.card.number, read_as=read_as_of(request)
    )
    return to_receipt(operation)


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.REPLACE)
def replace(request: HttpRequest) -> HttpResponse:
    """Replace a lost or damaged card with one from this store's stock: balance, points,
    tier, member and PIN move to the new card."""
    summary = card_param(request)
    found = found_handle(request)
    actor = actor_of(request)
    page = {"title": _("Replace the card"), "submit": _("Replace"), "submit_id": "replace-submit"}

    def replace_it(data: dict) -> Operation | ApprovalRequest:
        new = look_up_card(actor, data["new_card"], address=client_address(request))
        card_numbers = {"old_number": summary.card.number, "new_number": new.card.number}
        if data["ask_approval"]:
            # Refused over the prepaid limit, it may be sent to HQ as a request (four eyes).
            return request_replacement(
                actor=actor,
                **card_numbers,
                idempotency_key=data["idempotency_key"],
                reason=data["reason"],
            )
        return replace_card(
            actor=actor,
            **card_numbers,
            idempotency_key=data["idempotency_key"],
            reason=data["reason"],
            read_as=new.read_as or "",  # the card read in this form: the new one
        )

    def done(result: object) -> HttpResponse:
        if not isinstance(result, ApprovalRequest):
            return to_receipt(result)
        messages.success(
            request,
            _("Sent to HQ for approval: request #%(number)d. Nothing moves until approved.")
            % {"number": result.pk},
        )
        return redirect(_back(found) or counter_url(summary.card))

    return form_flow(
        request,
        ReplaceForm,
        {**page, "summary": summary, "back": _back(found)},
        initial=_card_fields(summary, found),
        perform=replace_it,
        done=done,
    )


@require_http_methods(["GET", "POST"])
@access.staff_page(Action.RECOVER, at=access.STORE)
def hand_back(request: HttpRequest) -> HttpResponse:
    """A one-time card handed back: the deposit (and value left, where the product pays it
    out) is paid back by the tender; the card goes into stock when someone who may restock
    says it is fit to sell again, else it waits here as recovered (to check)."""
    summary = card_param(request)
    actor = actor_of(request)
    page = {
        "title": _("Hand back the card"),
        "submit": _("Take the card back"),
        "submit_id": "hand-back-submit",
        "summary": summary,
        "danger": True,
        "note": _hand_back_note(summary),
    }
    return form_flow(
        request,
        partial(HandBackForm, may_restock=allowed(actor, Action.RESTOCK)),
        page,
        initial={"card": summary.card.number, "read_as": read_as_of(request)},
        perform=lambda data: hand_back_card(
            actor=actor,
            card_number=summary.card.number,
            idempotency_key=data["idempotency_key"],
            tender=data["tender"],
            fit_to_sell=data.get("fit_to_sell", False),
            read_as=data["read_as"],
        ),
    )


def _hand_back_note(summary: CardSummary) -> str:
    """What the product does with value left on the card, said before the customer asks."""
    if not summary.balance_minor:
        return ""
    if summary.card.product.value_on_hand_back == ValueOnHandBack.PAY_OUT:
        return str(_("Value left on the card: the principal is paid out, the bonus is kept."))
    return str(_("Value is left on the card: the customer spends it first."))


@require_POST
@access.staff_page(Action.UNLOCK_PIN)
def pin_unlock(request: HttpRequest) -> HttpResponse:
    """A manager lifts the wrong-PIN lock (the customer proved who they are)."""
    form = PinUnlockForm(request.POST)
    summary = card_param(request)
    if form.is_valid():
        unlock_pin(actor=actor_of(request), card_number=summary.card.number)
    return redirect(counter_url(summary.card))
