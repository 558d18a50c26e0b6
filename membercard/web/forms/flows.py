"""One way a staff page sends a form to a service and shows a refusal.

A page validates its form, calls one named service with the cleaned data, and either goes
on (a redirect, a receipt) or shows the form again with the refusal on it: beside the
field the error names, else above the form, with the error's own status (422, 404, 409…).
A refusal for lack of permission (403) is not about what was typed: it goes on to
``access.staff_page``, which renders it as the refused page (or htmx fragment) like any
other page refusal.

Money forms carry an idempotency key (``IdempotentForm``), so a double submit or a refresh
replays the first result instead of charging twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError, IdempotencyConflict, PaymentCardRefused
from membercard.inventory.errors import SHOWN_ENTRIES

T = TypeVar("T")

INVALID = 422  # the form itself does not validate
BANK_CARD = PaymentCardRefused.code
# A key the page makes itself (uuid4 hex, 32 characters); room to spare, nothing absurd.
KEY_LENGTH = 64


def new_key() -> str:
    return uuid.uuid4().hex


class IdempotentForm(forms.Form):
    """A form whose submit moves money: a hidden key made when the form is rendered, so a
    double submit or a refresh replays the first result instead of charging twice. The
    field is named like the services' argument, which the audit keeps unmasked."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=KEY_LENGTH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())

    def renew_key(self) -> None:
        """A fresh key for the next submit (the old one already carried another request)."""
        self.data = self.data.copy()
        self.data[self.add_prefix("idempotency_key")] = new_key()


@dataclass(frozen=True)
class Submission(Generic[T]):
    """What became of a submitted form: ``done`` with the service's ``result``, or not,
    with the ``status`` to show the form again with."""

    done: bool
    result: T | None = None
    status: int = 200


def submit(form: forms.Form, action: Callable[[dict[str, Any]], T]) -> Submission[T]:
    """Validate ``form`` and call ``action`` with its cleaned data; a refusal goes on the
    form (``refuse``) and its status comes back. A 403 is raised on to the page wrapper."""
    if not form.is_valid():
        return Submission(False, status=INVALID)
    try:
        return Submission(True, result=action(form.cleaned_data))
    except DomainError as error:
        if error.status == 403:
            raise
        refuse(form, error)
        return Submission(False, status=error.status)


def refuse(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: beside the field it names (a form may map the
    service's names to its own: ``service_fields``, ``service_codes``), else on top, with
    each bad entry it lists. Whatever was read as a bank card is not shown back."""
    if error.code == IdempotencyConflict.code and isinstance(form, IdempotentForm):
        form.renew_key()
        form.add_error(
            None,
            _(
                "This form was already sent with other values: check the history, "
                "then send it again if needed."
            ),
        )
        return
    field = error.extra.get("field") or getattr(form, "service_codes", {}).get(error.code)
    field = getattr(form, "service_fields", {}).get(field, field)
    form.add_error(field if field in form.fields else None, error.message)
    problems = error.extra.get("problems")
    if error.code == BANK_CARD or any(
        isinstance(p, dict) and p.get("code") == BANK_CARD for p in problems or ()
    ):
        forget_typed_cards(form)
    if isinstance(problems, list) and len(problems) > 1:
        for problem in problems[:SHOWN_ENTRIES]:
            if "entry" in problem:
                form.add_error(None, f"{problem['entry']}: {problem['detail']}")
            elif "line" in problem:
                form.add_error(None, f"{problem['line']}: {problem['problem']}")


def forget_typed_cards(form: forms.Form) -> None:
    """Empty the card boxes of a re-shown form: something typed there read as a bank card,
    which is never shown back (nor stored)."""
    data = form.data.copy()
    for name in ("numbers", "ranges"):
        if name in form.fields:
            data[form.add_prefix(name)] = ""
    form.data = data


def form_page(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], T],
    *,
    done: Callable[[T], HttpResponse],
    template: str,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The plain form page: GET shows ``form``; POST submits it and answers ``done(result)``,
    or the page again with the refusal on the form and its status."""
    status = 200
    if request.method == "POST":
        outcome = submit(form, action)
        if outcome.done:
            return done(outcome.result)  # type: ignore[arg-type]
        status = outcome.status
    return render(request, template, {"form": form, **(context or {})}, status=status)
