"""Addresses of the four-eyes pages (names in the ``web`` namespace)."""

from __future__ import annotations

from django.urls import path

from membercard.web.views import approvals

urlpatterns: list = [
    path("approvals/", approvals.approval_list, name="approvals"),
    path("approvals/<int:request_id>/", approvals.approval_detail, name="approval"),
    path(
        "approvals/<int:request_id>/approve/",
        approvals.approval_approve,
        name="approval-approve",
    ),
    path("approvals/<int:request_id>/reject/", approvals.approval_reject, name="approval-reject"),
    path("hq/approval-thresholds/", approvals.approval_thresholds, name="approval-thresholds"),
]
