"""Four eyes at HQ: what waits for my approval, my requests, one request with what it will
post (Approve / Reject for those who may decide it, never its maker), the thresholds."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercard.approvals import selectors, thresholds
from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.services import approve, reject, request_thresholds_change
from membercard.core.errors import NotFound
from membercard.core.permissions import Action, allowed
from membercard.ledger.models import Operation
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.approvals import DecisionForm, ThresholdsForm
from membercard.web.forms.flows import form_page, submit

LIST_LENGTH = 200


@access.staff_page(Action.VIEW_APPROVALS, at=access.HQ)
def approval_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "")
    if state not in RequestState.values:
        state = ""
    everyone = request.GET.get("who") == "all"
    listed = ApprovalRequest.objects.all() if everyone else selectors.requests_by(actor)
    listed = selectors.in_state(listed, state).select_related("maker", "decided_by", "operation")
    waiting = selectors.pending_for(actor)
    context = {
        "waiting": waiting[:LIST_LENGTH],
        "waiting_count": waiting.count(),
        "listed": listed.order_by("-id")[:LIST_LENGTH],
        "state": state,
        "states": RequestState.choices,
        "everyone": everyone,
        "mask_numbers": False,  # HQ: every card is in scope
    }
    return render(request, "web/approvals/list.html", context)


def _request(request: HttpRequest, request_id: int) -> ApprovalRequest:
    """The request, if the viewer may see it (``selectors.visible_to``)."""
    found = selectors.visible_to(actor_of(request)).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("No such request."))
    return found


@access.staff_page(Action.VIEW_APPROVALS, at=access.STORE)
def counter_approvals(request: HttpRequest) -> HttpResponse:
    """The counter's "Waiting for approval". A store manager: the refunds the store's
    cashiers and tills asked for (never their own), then the store's latest requests. A
    cashier: the requests they made (a refund, a replacement over the limit) and how each
    ended. Card numbers are masked: the cards were presented once, at the counter."""
    actor = actor_of(request)
    waiting = selectors.pending_for(actor)
    context = {
        "waiting": waiting[:LIST_LENGTH],
        "waiting_count": waiting.count(),
        "decides": allowed(actor, Action.APPROVE_REFUND),
        "listed": selectors.visible_to(actor).order_by("-id")[:50],
        "mask_numbers": True,
    }
    return render(request, "web/approvals/counter.html", context)


def _detail(
    request: HttpRequest, approval: ApprovalRequest, form: DecisionForm | None = None, status=200
) -> HttpResponse:
    actor = actor_of(request)
    back = "web:approvals" if actor.at_hq else "web:counter-approvals"
    purchase = None
    if approval.kind == RequestKind.REFUND:
        purchase = Operation.objects.filter(pk=approval.payload.get("operation_id")).first()
    context = {
        "approval": approval,
        "back_url": reverse(back),
        "at_hq": actor.at_hq,
        "purchase": purchase,
        "preview": approval.preview,
        "may_decide": selectors.may_decide(actor_of(request), approval),
        "mask_numbers": not actor.at_hq,
        "is_maker": approval.maker_id == request.user.pk,
        "form": form or DecisionForm(),
    }
    return render(request, "web/approvals/detail.html", context, status=status)


# Open at stores too: a manager their store's requests (refunds are approved at the
# counter), a cashier their own (``selectors.visible_to``).
@access.staff_page(Action.VIEW_APPROVALS)
def approval_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _detail(request, _request(request, request_id))


def _decide(request: HttpRequest, request_id: int, *, approving: bool) -> HttpResponse:
    approval = _request(request, request_id)
    form = DecisionForm(request.POST)
    actor = actor_of(request)
    if approving:
        outcome = submit(form, lambda data: approve(actor=actor, request_id=approval.pk, **data))
    else:
        outcome = submit(form, lambda data: reject(actor=actor, request_id=approval.pk, **data))
    if not outcome.done:
        approval.refresh_from_db()  # an expired one shows as such
        return _detail(request, approval, form, outcome.status)
    decided = outcome.result
    if approving and decided.operation is not None:
        message = _("Approved: operation %(receipt)s posted.") % {
            "receipt": decided.operation.receipt_number
        }
    elif approving:
        message = _("Approved.")
    else:
        message = _("Rejected: nothing was posted.")
    messages.success(request, message)
    return redirect(reverse("web:approval", args=[approval.pk]))


@require_POST
@access.staff_page(Action.DECIDE_APPROVALS)
def approval_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approving=True)


@require_POST
@access.staff_page(Action.DECIDE_APPROVALS)
def approval_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approving=False)


@access.staff_page(Action.VIEW_APPROVALS, at=access.HQ)
def approval_thresholds(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    current = thresholds.current()
    form = ThresholdsForm(request.POST or None, initial=current.as_dict())

    def sent(approval: ApprovalRequest) -> HttpResponse:
        messages.success(
            request, _("Sent for approval: request #%(number)d") % {"number": approval.pk}
        )
        return redirect(reverse("web:approval", args=[approval.pk]))

    return form_page(
        request,
        form,
        lambda data: request_thresholds_change(actor=actor, **data),
        done=sent,
        template="web/approvals/thresholds.html",
        context={
            "current": current,
            "may_change": allowed(actor, Action.CHANGE_APPROVAL_THRESHOLDS),
        },
    )
