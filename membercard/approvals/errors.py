"""Refusals of the approvals app itself (the decisions' refusals are in ``core.errors``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError


class RequestAlreadyPending(DomainError):
    """The same action already waits for a second person (``request_id``): a second request
    for it is not filed; decide or reject the first."""

    code = "request_pending"
    status = 409
    default_message = _("A request for this already waits for approval.")
