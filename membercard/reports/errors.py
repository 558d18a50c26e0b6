"""Errors of the reports (domain errors with a stable code)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError


class BadReportRequest(DomainError):
    code = "report_bad_request"
    status = 400
    default_message = _("The report cannot be made for these settings.")
