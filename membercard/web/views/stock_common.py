"""Small helpers shared by the back-office pages (set-up, batches, stock, handovers,
stocktakes): create forms that cannot run twice, card ranges, labels of stored choices.
A refusal goes on its form through ``web/forms/flows.py`` like on every other page."""

from __future__ import annotations

import uuid

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from membercard.approvals.models import ApprovalRequest
from membercard.cards.models import BatchStatus, Card
from membercard.cards.states import CardState
from membercard.inventory import handover_queries as q
from membercard.inventory.models import HandoverState, LineStatus, StocktakeState

_DONE_KEY = "web_done_forms"
_DONE_KEPT = 50
MAX_RANGE_CARDS = 20_000


def new_once_token() -> str:
    """A fresh token for a create form (a hidden ``once`` field): see ``already_done``."""
    return uuid.uuid4().hex


def already_done(request: HttpRequest) -> str | None:
    """Where the first submission of this form went, if it was submitted before (a double
    click, a refresh, the back button): the page then shows that result instead of making a
    second batch or handover."""
    token = request.POST.get("once", "")
    return request.session.get(_DONE_KEY, {}).get(token) if token else None


def mark_done(request: HttpRequest, url: str) -> None:
    token = request.POST.get("once", "")
    if not token:
        return
    done = dict(request.session.get(_DONE_KEY, {}))
    done[token] = url
    request.session[_DONE_KEY] = dict(list(done.items())[-_DONE_KEPT:])


def sent_for_approval(approval: ApprovalRequest) -> str:
    """The message after a stock action filed as an approval request (four eyes)."""
    return _(
        "Sent for approval: request #%(number)d. Someone else approves it before anything happens."
    ) % {"number": approval.pk}


def numbers_in_ranges(
    ranges: list[tuple[str, str]], form: forms.Form, *, within: QuerySet[Card]
) -> list[str] | None:
    """The numbers of every card ``within`` (the caller's scope, from the service) in the
    typed ranges (read only), or None with an error on ``form``'s ranges field for each range
    that cannot be read or holds none of them. What else lies in a range never shows."""
    problems: list[q.Problem] = []
    found = q.cards_in_ranges(within, ranges, problems, none_there=_("no card there"))
    for problem in problems:
        form.add_error("ranges", str(problem))
    if len(found) > MAX_RANGE_CARDS:
        form.add_error("ranges", _("At most %(max)d cards at a time.") % {"max": MAX_RANGE_CARDS})
        return None
    return None if problems else [card.number for card in found]


# Labels of stored choices, in the staff member's language -----------------------------------

HANDOVER_STATES = {
    HandoverState.DRAFT: _l("Draft"),
    HandoverState.DISPATCHED: _l("Dispatched"),
    HandoverState.RECEIVED: _l("Received"),
    HandoverState.DISCREPANCY: _l("Received with discrepancies"),
    HandoverState.CLOSED: _l("Discrepancies resolved"),
    HandoverState.CANCELLED: _l("Cancelled"),
}
LINE_STATUSES = {
    LineStatus.LISTED: _l("Listed"),
    LineStatus.RECEIVED: _l("Received"),
    LineStatus.MISSING: _l("Missing at receipt"),
    LineStatus.UNEXPECTED: _l("Scanned at receipt but not listed"),
    LineStatus.FOUND: _l("Found later (received)"),
    LineStatus.LOST: _l("Lost (voided)"),
    LineStatus.RETURNED: _l("Returned to the sender"),
    LineStatus.MOVED: _l("Unexpected, moved into the receiver's stock"),
}
BATCH_STATUSES = {
    BatchStatus.ORDERED: _l("Ordered"),
    BatchStatus.RECEIVED: _l("Received at HQ"),
    BatchStatus.CANCELLED: _l("Cancelled"),
}
STOCKTAKE_STATES = {
    StocktakeState.OPEN: _l("Counting"),
    StocktakeState.CONFIRMED: _l("Confirmed"),
    StocktakeState.CANCELLED: _l("Cancelled"),
}
CARD_STATES = {
    CardState.PRODUCED: _l("Ordered from the manufacturer"),
    CardState.IN_STOCK: _l("In stock"),
    CardState.IN_TRANSIT: _l("In transit"),
    CardState.ACTIVE: _l("Active"),
    CardState.FROZEN: _l("Frozen"),
    CardState.REPLACED: _l("Replaced"),
    CardState.EXPIRED: _l("Expired"),
    CardState.RECOVERED: _l("Recovered"),
    CardState.VOID: _l("Void"),
}


def labelled(rows, attribute: str, labels: dict, source: str | None = None) -> list:
    """``rows`` as a list, each with ``label`` set to the label of its ``attribute`` (a page's
    rows are read once here, so the labels stay on the objects the template shows)."""
    rows = list(rows)
    for row in rows:
        setattr(row, source or f"{attribute}_label", labels.get(getattr(row, attribute), ""))
    return rows


def choices(labels: dict) -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in labels.items()]
