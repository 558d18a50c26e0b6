"""Card stock errors (batches, handovers, stocktakes). Codes are part of the API contract.

Append new classes at the end; never rename a code once shipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError, NotPermitted

# A refusal's message names this many entries; its extra data always lists them all.
SHOWN_ENTRIES = 20


def first_entries(entries: Sequence[object], sep: str = "; ", more: str = "; and {} more") -> str:
    """How a refusal's message names ``entries``: the first ``SHOWN_ENTRIES`` joined by
    ``sep``, then ``more`` with the number of the others, if there are others."""
    text = sep.join(str(entry) for entry in entries[:SHOWN_ENTRIES])
    others = len(entries) - SHOWN_ENTRIES
    return text + more.format(others) if others > 0 else text


# Stocktakes ---------------------------------------------------------------------


class StocktakeAlreadyOpen(DomainError):
    code = "stocktake_already_open"
    status = 409
    default_message = _("A stocktake is already open at this location: finish or cancel it first.")


class StocktakeNotOpen(DomainError):
    code = "stocktake_not_open"
    status = 409
    default_message = _("This stocktake is no longer open.")


# Handovers ----------------------------------------------------------------------


class HandoverNotFound(DomainError):
    """Also what another location's handover looks like: it does not exist for you."""

    code = "handover_not_found"
    status = 404
    default_message = _("No such handover.")


class HandoverLineNotFound(DomainError):
    code = "handover_line_not_found"
    status = 404
    default_message = _("No such handover line.")


class HandoverRouteRefused(DomainError):
    code = "handover_route_refused"
    status = 422
    default_message = _("Cards are handed over between headquarters and a store only.")


class HandoverWrongState(DomainError):
    code = "handover_wrong_state"
    status = 409
    default_message = _("The handover is not at the step this needs.")


class HandoverAlreadyReceived(DomainError):
    code = "handover_already_received"
    status = 409
    default_message = _("This handover was already received.")


class HandoverEmpty(DomainError):
    code = "handover_empty"
    status = 422
    default_message = _("List at least one card before dispatching.")


class HandoverCardsRefused(DomainError):
    """Some of the cards given cannot be used; ``extra["problems"]`` lists each with why."""

    code = "handover_cards_refused"
    status = 422
    default_message = _("Some of the cards given cannot be used; nothing was changed.")


class HandoverLineNotOpen(DomainError):
    code = "handover_line_not_open"
    status = 409
    default_message = _("This line has no open discrepancy.")


# Batches (production) -----------------------------------------------------------


class BatchNotFound(DomainError):
    code = "batch_not_found"
    status = 404
    default_message = _("No such batch.")


class BatchImportRefused(DomainError):
    """The manufacturer's file has bad rows; ``extra["problems"]`` lists every bad line as
    ``{"line": n, "problem": "..."}``. Nothing was imported. Never echoes a bank card number."""

    code = "batch_import_refused"
    status = 422
    default_message = _("The file has bad rows; nothing was imported.")


class BatchNotOrdered(DomainError):
    """The batch was already received or cancelled: only an ordered batch can be."""

    code = "batch_not_ordered"
    status = 409
    default_message = _("This batch is no longer on order.")


class CardsNotVoidable(DomainError):
    """Some cards are not in stock at headquarters (nor awaiting receipt there);
    ``extra["numbers"]`` lists them and ``extra["unknown"]`` numbers of no card."""

    code = "cards_not_voidable"
    status = 422
    default_message = _("Some of the cards are not in stock at headquarters; nothing was voided.")


# Handover discrepancies and batch sign-offs (added) -----------------------------


class CardNotMovable(DomainError):
    """An unexpected card is moved into the receiver's stock only from ``in_stock`` where it
    is booked (not already there, not sold, on the road or listed on a draft)."""

    code = "card_not_movable"
    status = 409
    default_message = _("The card is not in stock where it is booked; nothing was moved.")


class BatchStepRefused(DomainError):
    """A batch sign-off out of order (not received yet, the step already signed, the
    previous step not signed)."""

    code = "batch_step_refused"
    status = 409
    default_message = _("This step cannot be signed now.")


class SameSigner(NotPermitted):
    """Two people sign a batch's steps: whoever signed the previous step does not sign the
    next one."""

    code = "same_signer"
    status = 403
    default_message = _("Someone other than the previous step's signer signs this step.")
