"""Card production and stock pages: batches (order, import, export, receive, cancel, void
misprints) and stock figures for HQ (every location) and for a store (its own only).
Ordering, cancelling and voiding file approval requests (``membercard.approvals.stock``,
``membercard.approvals.stock_write_offs``).

Batches and HQ stock are the stock keepers' (the permission table); the services
check the actor again (``membercard.core.permissions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.stock import request_batch_order, request_card_void
from membercard.approvals.stock_write_offs import pending_requests, request_batch_cancel
from membercard.cards.models import Batch, BatchStatus, CardProduct
from membercard.cards.states import CardState
from membercard.core.models import Location
from membercard.core.permissions import Action
from membercard.inventory import exports
from membercard.inventory.batch_steps import batch_steps, next_step
from membercard.inventory.selectors import stock_ranges, stock_summary
from membercard.inventory.services import batches as batch_services
from membercard.web import access
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.flows import form_page, new_key, submit
from membercard.web.forms.stock import (
    BatchForm,
    BatchImportForm,
    CancelBatchForm,
    NoteForm,
    VoidCardsForm,
)
from membercard.web.lists import list_page
from membercard.web.views.stock_common import (
    BATCH_STATUSES,
    CARD_STATES,
    already_done,
    choices,
    labelled,
    mark_done,
    new_once_token,
    sent_for_approval,
)

RANGES_PER_PAGE = 100

# Batches -----------------------------------------------------------------------------------


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def batches(request: HttpRequest) -> HttpResponse:
    rows = Batch.objects.select_related("product", "created_by")
    status = request.GET.get("status", "")
    if status in BatchStatus.values:
        rows = rows.filter(status=status)
    listing = list_page(
        request,
        rows,
        search=("product__code__icontains", "product__name__icontains", "supplier__icontains"),
        sortable=("pk", "product__code", "quantity", "status", "created_at", "supplier"),
        default_sort="-pk",
        keep=("status",),
    )
    listing.page.object_list = labelled(listing.rows, "status", BATCH_STATUSES)
    context = {"listing": listing, "statuses": choices(BATCH_STATUSES), "status": status}
    return render(request, "web/stock/batches.html", context)


def _order_page(request: HttpRequest, form_class, template: str) -> HttpResponse:
    """Ordering a batch files an approval request (four eyes): nothing is produced until
    another HQ admin or stock keeper approves it on the request's page."""
    if request.method == "POST" and (done := already_done(request)):
        messages.info(request, _("That form was already sent: here is its result."))
        return redirect(done)
    form = form_class(request.POST or None, request.FILES or None)

    def order(data: dict) -> ApprovalRequest:
        details = {
            "actor": actor_of(request),
            "product": data["product"],
            "unit_cost_minor": form.unit_cost_minor(),
            "supplier": data["supplier"],
            "notes": data["notes"],
            "idempotency_key": data["idempotency_key"],
        }
        if "file" in form.fields:
            return request_batch_order(rows_text=data["file"], **details)
        return request_batch_order(quantity=data["quantity"], **details)

    def ordered(approval: ApprovalRequest) -> HttpResponse:
        url = reverse("web:approval", args=[approval.pk])
        mark_done(request, url)
        messages.success(request, sent_for_approval(approval))
        return redirect(url)

    once = request.POST.get("once") or new_once_token()
    return form_page(request, form, order, done=ordered, template=template, context={"once": once})


def batch_url(batch: Batch) -> str:
    return reverse("web:batch", args=[batch.pk])


@staff_page(Action.ORDER_BATCH)
def batch_create(request: HttpRequest) -> HttpResponse:
    return _order_page(request, BatchForm, "web/stock/batch_form.html")


@staff_page(Action.ORDER_BATCH)
def batch_import(request: HttpRequest) -> HttpResponse:
    return _order_page(request, BatchImportForm, "web/stock/batch_import.html")


def _batch(pk: int) -> Batch:
    return get_object_or_404(
        Batch.objects.select_related("product", "created_by", "received_by"), pk=pk
    )


def _batch_page(request: HttpRequest, batch: Batch, status: int = 200, **forms) -> HttpResponse:
    by_state = dict(
        batch.cards.values("state").annotate(n=Count("pk")).order_by().values_list("state", "n")
    )
    states = [(label, by_state[value]) for value, label in CARD_STATES.items() if value in by_state]
    batch.status_label = BATCH_STATUSES.get(batch.status, "")
    ordered = batch.status == BatchStatus.ORDERED
    # A cancellation waiting for a second person: its request, instead of the form.
    waiting = pending_requests(RequestKind.BATCH_CANCEL, "batch_id", [batch.pk]) if ordered else {}
    context = {
        "batch": batch,
        "states": states,
        "steps": batch_steps(batch),
        "next_step": next_step(batch),
        "sign_form": forms.get("sign_form") or NoteForm(prefix="sign"),
        "ordered": ordered,
        "cancel_form": forms.get("cancel_form") or CancelBatchForm(),
        "cancel_request": waiting.get(batch.pk),
    }
    return render(request, "web/stock/batch_detail.html", context, status=status)


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, _batch(pk))


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def batch_csv(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    response = HttpResponse(exports.batch_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch.document_number}.csv"'
    return response


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def batch_proof(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    limit = request.GET.get("limit", "")
    pdf = exports.batch_proof_pdf(batch, limit=int(limit) if limit.isdigit() else None)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{batch.document_number}-proof.pdf"'
    return response


@require_POST
@staff_page(Action.RECEIVE_BATCH)
def batch_receive(request: HttpRequest, pk: int) -> HttpResponse:
    batch = batch_services.receive_batch(actor=actor_of(request), batch_id=_batch(pk).pk)
    messages.success(
        request, _("Batch %(number)s received into stock.") % {"number": batch.document_number}
    )
    return redirect("web:batch", pk=batch.pk)


@require_POST
@staff_page(Action.RECEIVE_BATCH)
def batch_sign(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Sign the batch's next step (checked, made ready): someone other than its last signer."""
    batch = _batch(pk)
    form = NoteForm(request.POST, prefix="sign")
    outcome = submit(
        form,
        lambda data: batch_services.sign_batch_step(
            actor=actor_of(request), batch_id=batch.pk, step=step, note=data["note"]
        ),
    )
    if not outcome.done:
        return _batch_page(request, batch, status=outcome.status, sign_form=form)
    messages.success(
        request,
        _("%(step)s signed for batch %(number)s.")
        % {"step": outcome.result.get_step_display(), "number": batch.document_number},
    )
    return redirect("web:batch", pk=batch.pk)


@require_POST
@staff_page(Action.RECEIVE_BATCH)
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling an order voids its cards (a write-off): an approval request (four eyes),
    cancelled once someone other than the maker approves it."""
    batch = _batch(pk)
    form = CancelBatchForm(request.POST)
    outcome = submit(
        form,
        lambda data: request_batch_cancel(
            actor=actor_of(request),
            batch_id=batch.pk,
            reason=data["reason"],
            idempotency_key=data["idempotency_key"] or new_key(),
        ),
    )
    if outcome.done:
        messages.success(request, sent_for_approval(outcome.result))
        return redirect(reverse("web:approval", args=[outcome.result.pk]))
    return _batch_page(request, batch, status=outcome.status, cancel_form=form)


@staff_page(Action.VOID_CARDS)
def batch_void(request: HttpRequest) -> HttpResponse:
    """Quality check: void misprinted or damaged cards at HQ, with a reason: an approval
    request (four eyes), voided once someone else approves it."""

    def sent(approval: ApprovalRequest) -> HttpResponse:
        messages.success(request, sent_for_approval(approval))
        return redirect(reverse("web:approval", args=[approval.pk]))

    return form_page(
        request,
        VoidCardsForm(request.POST or None),
        lambda data: request_card_void(
            actor=actor_of(request),
            numbers=data["numbers"],
            reason=data["reason"],
            idempotency_key=data["idempotency_key"],
        ),
        done=sent,
        template="web/stock/void_cards.html",
    )


# Stock -------------------------------------------------------------------------------------


def _chosen(request: HttpRequest, name: str, model):
    value = request.GET.get(name, "")
    return model.objects.filter(pk=int(value)).first() if value.isdigit() else None


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def stock(request: HttpRequest) -> HttpResponse:
    """Every location's stock by product: on hand, recovered, on the road in and out."""
    location = _chosen(request, "location", Location)
    product = _chosen(request, "product", CardProduct)
    lines = stock_summary(location=location, product=product, with_ranges=False)
    totals = {
        "in_stock": sum(line.in_stock for line in lines),
        "recovered": sum(line.recovered for line in lines),
        "in_transit": sum(line.in_transit_out for line in lines),
    }
    context = {
        "lines": lines,
        "totals": totals,
        "locations": Location.objects.order_by("code"),
        "products": CardProduct.objects.order_by("code"),
        "location": location,
        "product": product,
        "ranges_url": "web:stock-ranges",
    }
    return render(request, "web/stock/stock.html", context)


def _ranges_page(request: HttpRequest, location: Location, back: str) -> HttpResponse:
    product = _chosen(request, "product", CardProduct)
    if product is None:
        raise Http404
    state = request.GET.get("state", CardState.IN_STOCK)
    if state not in (CardState.IN_STOCK, CardState.RECOVERED):
        state = CardState.IN_STOCK
    ranges = stock_ranges(location=location, product=product, state=state)
    page = Paginator(ranges, RANGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "location": location,
        "product": product,
        "state": state,
        "page": page,
        "count": sum(r.count for r in ranges),
        "back": back,
    }
    return render(request, "web/stock/ranges.html", context)


@staff_page(Action.VIEW_STOCK, at=access.HQ)
def stock_ranges_view(request: HttpRequest) -> HttpResponse:
    location = _chosen(request, "location", Location)
    if location is None:
        raise Http404
    return _ranges_page(request, location, "web:stock")


@staff_page(Action.VIEW_STOCK, at=access.STORE)
def store_stock(request: HttpRequest) -> HttpResponse:
    """A store's own stock: counts by product and what is on the road to and from it."""
    location = actor_of(request).location
    lines = stock_summary(location=location, with_ranges=False)
    context = {
        "lines": lines,
        "location": location,
        "totals": {
            "in_stock": sum(line.in_stock for line in lines),
            "recovered": sum(line.recovered for line in lines),
            "in_transit": sum(line.in_transit_in for line in lines),
        },
        "ranges_url": "web:store-stock-ranges",
        "store_view": True,
    }
    return render(request, "web/stock/stock.html", context)


@staff_page(Action.VIEW_STOCK, at=access.STORE)
def store_stock_ranges(request: HttpRequest) -> HttpResponse:
    """Number ranges of the store's own cards only (whatever location is asked for)."""
    return _ranges_page(request, actor_of(request).location, "web:store-stock")
