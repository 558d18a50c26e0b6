"""The counter: one card field, the card panel, and a purchase in amount + two key presses.

Thin views: parse the form, call one selector or service, render. Domain errors are
rendered by ``access.staff_page`` (for htmx requests into the element the form names in
its ``X-Error-Target`` header). The other counter operations are in ``counter_ops.py``,
the receipt in ``counter_receipt.py``.

A card number never goes into a URL (access logs keep URLs, and a swipe may be a bank
card's track): the card field is posted, forms post the number back in their body, and
links and redirects name an open card by a signed handle (``?ref=``) instead. Every
number someone types, swipes or posts goes through the one look-up throttle
(``cards/lookups.py``).
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from membercard.cards.lookups import card_for_operation, look_up_card
from membercard.cards.models import Card
from membercard.cards.reader import ReadAs
from membercard.cards.scope import customers_cards
from membercard.cards.selectors import visible_card
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import CardNotFound
from membercard.core.http import client_address
from membercard.core.permissions import Action, allowed
from membercard.core.transactions import inside_operations
from membercard.ledger.models import Operation, OperationKind
from membercard.ledger.selectors import CardSummary, card_summary, summary_of
from membercard.loyalty.policies import policy_for
from membercard.loyalty.selectors import card_points
from membercard.loyalty.services.earning import discount_rate
from membercard.loyalty.services.tiers import current_tier
from membercard.operations import purchase
from membercard.operations.corrections import REVERSIBLE
from membercard.operations.quotes import quote_purchase
from membercard.web import access
from membercard.web.access import actor_of, is_htmx
from membercard.web.forms.counter import PurchaseForm

# A card in a customer's hands is seen from every store; one on a shelf only from its store.
LAST_OPERATIONS = 8
# A card's handle in counter links: signed (so nobody can make one up to enumerate cards),
# and good for a working day, after which the card is simply swiped again.
REF_SALT = "membercard.web.counter.card"
REF_MAX_AGE = 16 * 3600
# A card found by its member's mobile or name (``counter_find.py``) has a handle of another
# kind: the customer did not present the card, so it opens the freeze and replace pages,
# never the card panel (whose forms carry the number).
FOUND_SALT = "membercard.web.counter.found"


def card_ref(card: Card) -> str:
    """The signed handle that names ``card`` in counter links instead of its number."""
    return signing.dumps(card.pk, salt=REF_SALT)


def found_ref(actor: Actor, card: Card) -> str:
    """The signed handle of a card found for its member (a lost card), good only at the
    location that found it."""
    return signing.dumps([card.pk, actor.location.pk], salt=FOUND_SALT)


def summary_for_found(actor: Actor, handle: str) -> CardSummary:
    """The card a found-card handle names, if it was found at ``actor``'s location and is
    still one of its customers' issued cards; anything else answers like no card."""
    try:
        pk, location_pk = signing.loads(handle, salt=FOUND_SALT, max_age=REF_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        raise CardNotFound() from None
    card = customers_cards(actor).select_related("product", "member").filter(pk=pk).first()
    if card is None or location_pk != actor.location.pk:
        raise CardNotFound()
    return card_summary(card)


def summary_for_ref(actor: Actor, ref: str) -> CardSummary:
    """The card a handle names, if ``actor`` may (still) see it; a made-up, altered or
    stale handle answers like a card that does not exist."""
    try:
        pk = signing.loads(ref, salt=REF_SALT, max_age=REF_MAX_AGE)
    except signing.BadSignature:
        raise CardNotFound() from None
    card = Card.objects.select_related("product", "member").filter(pk=pk).first()
    if card is None:
        raise CardNotFound()
    return card_summary(visible_card(actor, card))


def posted_card(request: HttpRequest) -> CardSummary:
    """The card a counter form posts back by number (``card``), through the throttle."""
    number = request.POST.get("card", "").strip()
    presented = card_for_operation(actor_of(request), number, address=client_address(request))
    return summary_of(presented)


def read_as_of(request: HttpRequest) -> str:
    """How the card a counter page acts on was read at the swipe (``swiped``, ``scanned``,
    ``keyed``, ``tapped``), as the panel's link or the page's form carries it; anything
    else is no answer (``""``)."""
    data = request.POST if request.method == "POST" else request.GET
    value = data.get("read_as", "")
    return value if value in {r.value for r in ReadAs} else ""


def counter_url(card: Card | str = "") -> str:
    """The counter, with ``card``'s panel open when given (by its handle, never its number)."""
    url = reverse("web:counter")
    if isinstance(card, str):
        card = Card.objects.filter(number=card).first() if card else None
    return f"{url}?{urlencode({'ref': card_ref(card)})}" if card is not None else url


def in_stock_here(actor: Actor, card: Card) -> bool:
    """Whether ``card`` is on ``actor``'s shelf, to be sold here (HQ's counter sees every
    card, a store's only its own shelf's unsold ones)."""
    return card.state == CardState.IN_STOCK and card.location_id == actor.location.pk


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
    may_refund = allowed(actor, Action.REFUND)
    may_reverse = allowed(actor, Action.REVERSE_OTHERS)
    issued = card.state in (CardState.ACTIVE, CardState.FROZEN)
    operations = list(
        Operation.objects.filter(card=card, location=actor.location)
        .select_related("reversed_by")
        .order_by("-pk")[:LAST_OPERATIONS]
    )
    for operation in operations:
        operation.can_refund = may_refund and operation.kind == OperationKind.PURCHASE
        operation.can_reverse = (
            may_reverse and operation.kind in REVERSIBLE and not hasattr(operation, "reversed_by")
        )
    expired = card.expires_on is not None and card.expires_on < today()
    active = card.state == CardState.ACTIVE and not expired
    # Points pay part of a purchase where the product converts them (as in the API).
    policy = policy_for(product) if product.has_points else None
    converts = policy is not None and policy.converts_points
    return {
        "summary": summary,
        "card": card,
        "card_ref": card_ref(card),
        "product": product,
        "member": card.member,
        "tier": tier,
        "discount_rate_bp": discount_rate(product, tier),
        "expired": expired,
        "operations": operations,
        "done": done,
        "message": message,
        "in_stock_here": in_stock_here(actor, card),
        "active": active,
        "read_as": summary.read_as or "",
        "pays_with_points": converts and allowed(actor, Action.TAKE_PAYMENT),
        "usable_points": card_points(card).usable if converts else 0,
        "conversion": policy if converts else None,
        "purchase_form": purchase_form
        or PurchaseForm(initial={"card": card.number, "read_as": summary.read_as or ""}),
        # HQ tops up on its card page (under the HQ top-up approval threshold).
        "can_top_up": active
        and not actor.at_hq
        and product.has_stored_value
        and product.rechargeable
        and product.stores_may_top_up,
        "can_redeem_gift": active and product.has_points,
        "can_freeze": card.state == CardState.ACTIVE,
        "can_unfreeze": allowed(actor, Action.UNFREEZE) and card.state == CardState.FROZEN,
        "can_replace": issued,
        "can_hand_back": card.state == CardState.ACTIVE
        and product.one_time
        and allowed(actor, Action.RECOVER),
        "can_edit_member": issued,
        "pin_locked": bool(card.pin_locked_until) and allowed(actor, Action.UNLOCK_PIN),
    }


def render_panel(request: HttpRequest, summary: CardSummary, status: int = 200, **extra):
    return render(
        request, "web/counter/_panel.html", panel_context(request, summary, **extra), status=status
    )


@require_GET
@access.staff_page(Action.LOOK_UP_CARDS, also=Action.TAKE_PAYMENT)
def counter(request: HttpRequest) -> HttpResponse:
    """The counter page; with ``?ref=<handle>`` (after a sale, a member edit, a look-up
    without JS) the card's panel is already open. A number in the URL is never looked up."""
    context: dict = {}
    ref = request.GET.get("ref", "")
    if ref:
        context = panel_context(request, summary_for_ref(actor_of(request), ref))
    context["panel_open"] = bool(ref)
    # A store's search for its own customers' cards; HQ finds members on its Members pages.
    actor = actor_of(request)
    context["may_find_cards"] = not actor.at_hq and allowed(actor, Action.LOOK_UP_MEMBERS)
    return render(request, "web/counter/counter.html", context)


@require_POST
@access.staff_page(Action.LOOK_UP_CARDS, also=Action.TAKE_PAYMENT)
def card(request: HttpRequest) -> HttpResponse:
    """The card panel for what the reader typed (posted by htmx), through the one look-up
    throttle and the one reader parser: a wrong check digit, a bank card or an unknown card
    is a domain error (``#card-error``), too many look-ups a 429. Without htmx, the counter
    opens with the panel (by the card's handle)."""
    presented = look_up_card(
        actor_of(request), request.POST.get("card", ""), address=client_address(request)
    )
    summary = summary_of(presented)
    if not is_htmx(request):
        return redirect(counter_url(summary.card))
    return render_panel(request, summary)


def _purchase_form(request: HttpRequest) -> tuple[PurchaseForm, CardSummary]:
    return PurchaseForm(request.POST), posted_card(request)


@require_POST
@access.staff_page(Action.TAKE_PAYMENT)
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
        actor=actor_of(request),
        card_number=summary.card.number,
        amount_minor=data["amount"],
        redeem_points=data["points"] or 0,
    )
    confirm = PurchaseForm(
        initial={
            "card": summary.card.number,
            "amount": data["amount"],
            "idempotency_key": data["idempotency_key"],
            "allow_split": preview.needs_split,
            "tender": "cash",
            "read_as": data["read_as"],
            "points": data["points"] or 0,
        }
    )
    return render(
        request, "web/counter/_preview.html", {"form": confirm, "quote": preview, "card": summary}
    )


@require_POST
@access.staff_page(Action.TAKE_PAYMENT)
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
    panel: list[HttpResponse] = []

    def show_panel(result: object) -> None:
        """The panel with the new balance, rendered inside the purchase's transaction (just
        before it commits): a purchase never commits without the page that shows it."""
        if isinstance(result, Operation) and is_htmx(request):
            card = Card.objects.select_related("product", "member").get(pk=summary.card.pk)
            done = render_panel(
                request, card_summary(card), done=result, message=_("Purchase taken.")
            )
            panel.append(done)

    with inside_operations(show_panel):
        operation = purchase(
            actor=actor_of(request),
            card_number=summary.card.number,
            amount_minor=data["amount"],
            idempotency_key=data["idempotency_key"],
            allow_split=data["allow_split"],
            other_tender=(data["tender"] or "cash") if pays_rest else "",
            pin=data["pin"] or None,
            redeem_points=data["points"] or 0,
            read_as=data["read_as"],
        )
    if not is_htmx(request):
        return redirect("web:receipt", operation_id=operation.pk)
    return panel[-1]
