"""The counter: one card field, the card panel, and a purchase in amount + two key presses.

Thin views: parse the form, call one selector or service, render. Domain errors are
rendered by ``access.staff_page`` (for htmx requests into the element the form names in
its ``X-Error-Target`` header). The other counter operations are in ``counter_ops.py``,
the receipt in ``counter_receipt.py``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from membercard.cards.models import Card
from membercard.cards.selectors import CardSummary, card_summary, look_up, visible_card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import CardNotFound
from membercard.ledger.days import today
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.quotes import quote_purchase
from membercard.ledger.services import purchase
from membercard.ledger.services.corrections import REVERSIBLE
from membercard.loyalty.services.earning import discount_rate
from membercard.loyalty.services.tiers import current_tier
from membercard.web import access
from membercard.web.access import actor_of, is_htmx
from membercard.web.forms.counter import PurchaseForm

# A card in a customer's hands is seen from every store; one on a shelf only from its store.
LAST_OPERATIONS = 8


def summary_for_number(actor: Actor, number: str) -> CardSummary:
    """The panel's summary of a card named by its number (hidden fields, links)."""
    card = Card.objects.select_related("product", "member").filter(number=number).first()
    if card is None:
        raise CardNotFound()
    return card_summary(visible_card(actor, card))


def counter_url(number: str = "") -> str:
    url = reverse("web:counter")
    return f"{url}?{urlencode({'card': number})}" if number else url


def panel_context(
    request: HttpRequest,
    summary: CardSummary,
    *,
    done: Operation | None = None,
    message: str = "",
    purchase_form: PurchaseForm | None = None,
) -> dict:
    """What ``web/counter/_panel.html`` shows: the card, its warnings, its last operations
    here, the purchase form (with a fresh idempotency key) and the buttons this role has."""
    actor = actor_of(request)
    card = summary.card
    product = card.product
    tier = current_tier(card)
    manager = actor.role in access.MANAGER
    issued = card.state in (CardState.ACTIVE, CardState.FROZEN)
    operations = list(
        Operation.objects.filter(card=card, location=actor.location)
        .select_related("reversed_by")
        .order_by("-pk")[:LAST_OPERATIONS]
    )
    for operation in operations:
        operation.can_refund = manager and operation.kind == OperationKind.PURCHASE
        operation.can_reverse = (
            manager and operation.kind in REVERSIBLE and not hasattr(operation, "reversed_by")
        )
    expired = card.expires_on is not None and card.expires_on < today()
    active = card.state == CardState.ACTIVE and not expired
    return {
        "summary": summary,
        "card": card,
        "product": product,
        "member": card.member,
        "tier": tier,
        "discount_rate_bp": discount_rate(product, tier),
        "expired": expired,
        "operations": operations,
        "done": done,
        "message": message,
        "in_stock_here": card.state == CardState.IN_STOCK,
        "active": active,
        "purchase_form": purchase_form
        or PurchaseForm(initial={"card": card.number, "read_as": summary.read_as or ""}),
        "is_manager": manager,
        "can_top_up": active
        and product.has_stored_value
        and product.rechargeable
        and product.stores_may_top_up,
        "can_redeem_gift": active and product.has_points,
        "can_freeze": card.state == CardState.ACTIVE,
        "can_unfreeze": manager and card.state == CardState.FROZEN,
        "can_replace": issued,
        "can_edit_member": issued,
        "pin_locked": bool(card.pin_locked_until) and manager,
    }


def render_panel(request: HttpRequest, summary: CardSummary, status: int = 200, **extra):
    return render(
        request, "web/counter/_panel.html", panel_context(request, summary, **extra), status=status
    )


@require_GET
@access.staff_page(access.STORE)
def counter(request: HttpRequest) -> HttpResponse:
    """The counter page; with ``?card=<number>`` (after a sale, a member edit, no JS) the
    card's panel is already open."""
    context: dict = {}
    number = request.GET.get("card", "").strip()
    if number:
        summary = look_up(number)
        visible_card(actor_of(request), summary.card)
        context = panel_context(request, summary)
    context["panel_open"] = bool(number)
    return render(request, "web/counter/counter.html", context)


@require_GET
@access.staff_page(access.STORE)
def card(request: HttpRequest) -> HttpResponse:
    """The card panel for what the reader typed (htmx), parsed by the one reader parser:
    a wrong check digit, a bank card or an unknown card is a domain error (``#card-error``)."""
    raw = request.GET.get("card", "")
    summary = look_up(raw)
    visible_card(actor_of(request), summary.card)
    if not is_htmx(request):
        return redirect(counter_url(summary.card.number))
    return render_panel(request, summary)


def _purchase_form(request: HttpRequest) -> tuple[PurchaseForm, CardSummary]:
    form = PurchaseForm(request.POST)
    number = request.POST.get("card", "")
    summary = summary_for_number(actor_of(request), number)
    return form, summary


@require_POST
@access.staff_page(access.STORE)
def quote(request: HttpRequest) -> HttpResponse:
    """The purchase preview (read-only): discount, paid from balance, rest to pay otherwise,
    points to earn, balance after; and the confirm form carrying the same idempotency key."""
    form, summary = _purchase_form(request)
    if not form.is_valid():
        return render(
            request, "web/counter/_preview.html", {"form": form, "quote": None}, status=422
        )
    data = form.cleaned_data
    preview = quote_purchase(
        actor=actor_of(request), card_number=summary.card.number, amount_minor=data["amount"]
    )
    confirm = PurchaseForm(
        initial={
            "card": summary.card.number,
            "amount": data["amount"],
            "key": data["key"],
            "allow_split": preview.needs_split,
            "tender": "cash",
            "read_as": data["read_as"],
        }
    )
    return render(
        request, "web/counter/_preview.html", {"form": confirm, "quote": preview, "card": summary}
    )


@require_POST
@access.staff_page(access.STORE)
def confirm_purchase(request: HttpRequest) -> HttpResponse:
    """Take the purchase under the form's idempotency key (a replay answers with the first
    operation), then show the panel again with the new balance and the receipt link."""
    form, summary = _purchase_form(request)
    if not form.is_valid():
        return render(
            request, "web/counter/_preview.html", {"form": form, "quote": None}, status=422
        )
    data = form.cleaned_data
    # The rest is paid by a tender when the balance is short (split) or the card holds no value.
    pays_rest = data["allow_split"] or not summary.card.product.has_stored_value
    operation = purchase(
        actor=actor_of(request),
        card_number=summary.card.number,
        amount_minor=data["amount"],
        idempotency_key=data["key"],
        allow_split=data["allow_split"],
        other_tender=(data["tender"] or "cash") if pays_rest else "",
        pin=data["pin"] or None,
        read_as=data["read_as"],
    )
    if not is_htmx(request):
        return redirect("web:receipt", operation_id=operation.pk)
    fresh = card_summary(Card.objects.select_related("product", "member").get(pk=summary.card.pk))
    return render_panel(request, fresh, done=operation, message=_("Purchase taken."))
