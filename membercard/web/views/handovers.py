"""Handovers: the sender lists cards (scans, typed numbers, ranges), prints the sheet and
dispatches; the receiver scans what arrived; HQ resolves each discrepancy (a card lost is
an approval request: ``membercard.approvals.stock_write_offs``).

Who sees what is the service's rule (``handover_queries.get_handover``): a location sees
only the handovers it sends or receives, so another store's handover answers 404. Who may
do what is checked again by every service (sender, receiver, HQ stock keeper).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.stock_write_offs import pending_requests, request_handover_loss
from membercard.core.actors import Actor
from membercard.core.models import Location, LocationKind
from membercard.core.permissions import Action, allowed
from membercard.inventory import handover_queries as q
from membercard.inventory.errors import HandoverLineNotFound
from membercard.inventory.models import NOT_LISTED, Handover, HandoverLine, HandoverState
from membercard.inventory.services import handover_discrepancies as discrepancies
from membercard.inventory.services import handovers as services
from membercard.inventory.sheet_data import sheet_data
from membercard.inventory.sheets import handover_sheet_pdf
from membercard.web.access import actor_of, staff_page
from membercard.web.forms.flows import form_page, new_key, submit
from membercard.web.forms.stock import CardsForm, HandoverForm, ResolveForm
from membercard.web.lists import list_page
from membercard.web.views.stock_common import (
    HANDOVER_STATES,
    LINE_STATUSES,
    already_done,
    choices,
    labelled,
    mark_done,
    new_once_token,
    sent_for_approval,
)

LINES_PER_PAGE = 100


def _destinations(actor: Actor):
    """Where the actor's location may send cards: HQ to any open store, a store to HQ."""
    places = Location.objects.filter(is_active=True).exclude(pk=actor.location.pk)
    return places.filter(kind=LocationKind.STORE if actor.at_hq else LocationKind.HQ)


@staff_page(Action.HANDOVER_RECEIVE)
def handovers(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = (
        q.visible_handovers(actor)
        .select_related("from_location", "to_location", "created_by")
        .annotate(cards=Count("lines", filter=~Q(lines__status__in=NOT_LISTED)))
    )
    state = request.GET.get("state", "")
    if state in HandoverState.values:
        rows = rows.filter(state=state)
    listing = list_page(
        request,
        rows,
        search=(
            "from_location__code__iexact",
            "to_location__code__iexact",
            "to_location__name__icontains",
            "from_location__name__icontains",
            "note__icontains",
        ),
        sortable=("pk", "state", "created_at", "dispatched_at", "received_at", "cards"),
        default_sort="-pk",
        keep=("state",),
    )
    listing.page.object_list = labelled(listing.rows, "state", HANDOVER_STATES)
    context = {
        "listing": listing,
        "states": choices(HANDOVER_STATES),
        "state": state,
        "can_create": allowed(actor, Action.HANDOVER_SEND),
    }
    return render(request, "web/stock/handovers.html", context)


@staff_page(Action.HANDOVER_SEND)
def handover_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST" and (done := already_done(request)):
        messages.info(request, _("That form was already sent: here is its result."))
        return redirect(done)

    def made(handover: Handover) -> HttpResponse:
        url = reverse("web:handover", args=[handover.pk])
        mark_done(request, url)
        messages.success(
            request,
            _("Draft %(number)s made: list its cards.") % {"number": handover.document_number},
        )
        return redirect(url)

    return form_page(
        request,
        HandoverForm(request.POST or None, destinations=_destinations(actor)),
        lambda data: services.create_handover(
            actor=actor, to_location=data["to_location"], note=data["note"]
        ),
        done=made,
        template="web/stock/handover_form.html",
        context={"once": request.POST.get("once") or new_once_token()},
    )


def _page(request: HttpRequest, handover: Handover, status: int = 200, **forms) -> HttpResponse:
    actor = actor_of(request)
    here = actor.location.pk
    keeps_stock = allowed(actor, Action.HANDOVER_SEND)
    blind = q.list_hidden(actor, handover)
    # A blind count's receiver gets no list: not even a page of it.
    lines = (
        q.lines_of(handover).order_by("card__number") if not blind else HandoverLine.objects.none()
    )
    counts = dict(
        handover.lines.values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    status_counts = [
        (label, counts[value]) for value, label in LINE_STATUSES.items() if value in counts
    ]
    handover.state_label = HANDOVER_STATES.get(handover.state, "")
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _shown(labelled(page.object_list, "status", LINE_STATUSES), actor)
    may_resolve = allowed(actor, Action.RESOLVE_DISCREPANCY)
    open_lines = _shown(
        labelled(
            q.open_lines(handover).select_related("card", "card__product")[:200],
            "status",
            LINE_STATUSES,
        ),
        actor,
    )
    bound = forms.get("resolve")  # (line id, bound form) after a refused resolution
    # A loss waiting for a second person: the line shows its request instead of a form.
    waiting = pending_requests(RequestKind.HANDOVER_LOSS, "line_id", [ln.pk for ln in open_lines])
    for line in open_lines:
        line.loss_request = waiting.get(line.pk)
    resolving = [
        (line, bound[1] if bound and bound[0] == line.pk else _resolve_form(handover, line))
        for line in (open_lines if may_resolve else [])
    ]
    is_draft = handover.state == HandoverState.DRAFT
    context = {
        "handover": handover,
        "sheet": sheet_data(handover, blind=blind, full_entries=actor.at_hq),
        "blind": blind,
        "lines": page,
        "status_counts": status_counts,
        "is_sender": handover.from_location_id == here,
        "can_edit": handover.from_location_id == here and keeps_stock and is_draft,
        "can_receive": handover.to_location_id == here
        and keeps_stock
        and handover.state == HandoverState.DISPATCHED,
        "resolving": resolving,
        "open_count": len(open_lines),
        "add_form": forms.get("add") or CardsForm(prefix="add"),
        "remove_form": forms.get("remove") or CardsForm(prefix="remove"),
        "receive_form": forms.get("receive") or CardsForm(prefix="receive"),
    }
    return render(request, "web/stock/handover_detail.html", context, status=status)


def _shown(lines, actor: Actor):
    """Each line's number as this actor may see it (``HandoverLine.number_shown``): an
    unexpected entry in full for HQ, masked for the store that typed it."""
    for line in lines:
        line.shown = line.number_shown(full=actor.at_hq)
    return lines


def _resolve_form(handover: Handover, line: HandoverLine) -> ResolveForm:
    """An entry line offers ``moved`` only if its card is in stock at the sender; HQ is
    told which (``line.stray_note``). Other lines offer every outcome (the service checks)."""
    if not line.is_entry:
        return ResolveForm(prefix=f"l{line.pk}")
    outcomes = [discrepancies.Outcome.ACKNOWLEDGED]
    if q.stray_card(handover, line) is not None:
        outcomes.append(discrepancies.Outcome.MOVED)
        line.stray_note = _("A card with this number is in stock at the sender.")
    else:
        line.stray_note = _("No such card at the sender: a misread.")
    return ResolveForm(prefix=f"l{line.pk}", outcomes=outcomes)


@staff_page(Action.HANDOVER_RECEIVE)
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, q.get_handover(actor_of(request), pk))


@staff_page(Action.HANDOVER_RECEIVE)
def handover_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    handover = q.get_handover(actor, pk)
    pdf = handover_sheet_pdf(
        handover, blind=q.list_hidden(actor, handover), full_entries=actor.at_hq
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{handover.document_number}.pdf"'
    return response


def _cards_step(request: HttpRequest, pk: int, prefix: str, service, done: str) -> HttpResponse:
    """Add cards to or remove them from a draft: numbers and ranges go to the service."""
    actor = actor_of(request)
    handover = q.get_handover(actor, pk)
    form = CardsForm(request.POST, prefix=prefix)
    outcome = submit(
        form,
        lambda data: service(
            actor=actor, handover_id=handover.pk, numbers=data["numbers"], ranges=data["ranges"]
        ),
    )
    if outcome.done:
        messages.success(request, done % {"count": outcome.result})
        return redirect("web:handover", pk=handover.pk)
    return _page(request, handover, status=outcome.status, **{prefix: form})


@require_POST
@staff_page(Action.HANDOVER_SEND)
def handover_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _cards_step(request, pk, "add", services.add_cards, _("%(count)d cards listed."))


@require_POST
@staff_page(Action.HANDOVER_SEND)
def handover_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _cards_step(
        request, pk, "remove", services.remove_cards, _("%(count)d cards taken off.")
    )


@require_POST
@staff_page(Action.HANDOVER_SEND)
def handover_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    handover = services.dispatch_handover(actor=actor_of(request), handover_id=pk)
    messages.success(
        request,
        _("%(number)s dispatched: its cards are in transit.")
        % {"number": handover.document_number},
    )
    return redirect("web:handover", pk=handover.pk)


@require_POST
@staff_page(Action.HANDOVER_SEND)
def handover_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    handover = services.cancel_handover(actor=actor_of(request), handover_id=pk)
    messages.success(request, _("%(number)s cancelled.") % {"number": handover.document_number})
    return redirect("web:handover", pk=handover.pk)


@require_POST
@staff_page(Action.HANDOVER_RECEIVE)
def handover_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiver scans every card that arrived (or types numbers and ranges)."""
    actor = actor_of(request)
    handover = q.get_handover(actor, pk)
    form = CardsForm(request.POST, prefix="receive")
    outcome = submit(
        form,
        # Ranges go to the service: they cover this handover's cards only.
        lambda data: services.receive_handover(
            actor=actor, handover_id=handover.pk, scanned=data["numbers"], ranges=data["ranges"]
        ),
    )
    if not outcome.done:
        return _page(request, handover, status=outcome.status, receive=form)
    if outcome.result.state == HandoverState.RECEIVED:
        messages.success(request, _("Received: every card arrived."))
    elif extra := outcome.result.lines.filter(status__in=NOT_LISTED).count():
        # The same words whatever the entries are: the store learns nothing about them.
        messages.warning(
            request,
            ngettext(
                "Received with discrepancies: %(count)d entry is not on this handover; "
                "headquarters checks it.",
                "Received with discrepancies: %(count)d entries are not on this handover; "
                "headquarters checks them.",
                extra,
            )
            % {"count": extra},
        )
    else:
        messages.warning(request, _("Received with discrepancies: headquarters will settle them."))
    return redirect("web:handover", pk=handover.pk)


@require_POST
@staff_page(Action.RESOLVE_DISCREPANCY)
def handover_resolve(request: HttpRequest, line_pk: int) -> HttpResponse:
    """HQ settles one discrepancy line: found, returned or acknowledged at once; lost (the
    card void) is an approval request (four eyes), settled once someone else approves it."""
    actor = actor_of(request)
    line = HandoverLine.objects.filter(pk=line_pk).only("handover_id").first()
    if line is None:
        raise HandoverLineNotFound()
    handover = q.get_handover(actor, line.handover_id)
    form = ResolveForm(request.POST, prefix=f"l{line_pk}")
    outcome = submit(form, lambda data: _settle(actor, line_pk, data))
    if not outcome.done:
        return _page(request, handover, status=outcome.status, resolve=(line_pk, form))
    if isinstance(outcome.result, ApprovalRequest):
        messages.success(request, sent_for_approval(outcome.result))
        return redirect(reverse("web:approval", args=[outcome.result.pk]))
    messages.success(request, _("Discrepancy settled."))
    return redirect("web:handover", pk=handover.pk)


def _settle(actor: Actor, line_pk: int, data: dict) -> HandoverLine | ApprovalRequest:
    if data["outcome"] == discrepancies.Outcome.LOST:
        return request_handover_loss(
            actor=actor,
            line_id=line_pk,
            note=data["note"],
            idempotency_key=data["idempotency_key"] or new_key(),
        )
    return discrepancies.resolve_line(
        actor=actor, line_id=line_pk, outcome=data["outcome"], note=data["note"]
    )
