"""The receipt of an operation: an 80 mm printable page.

Balances and points *after* the operation are read from the ledger's running balances on
the card's transfers (the last transfer of each card account up to this operation), so a
reprint days later still shows what the customer had then.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from membercard.core.errors import NotFound
from membercard.core.permissions import Action
from membercard.ledger.models import Account, AccountKind, Operation, OperationKind, Transfer
from membercard.web import access
from membercard.web.access import actor_of


@dataclass(frozen=True)
class Receipt:
    operation: Operation
    time: object
    cashier: str
    card: str
    balance_after_minor: int | None
    points_after: int | None
    paid_from_balance_minor: int
    points_earned: int
    points_redeemed: int
    deposit_taken_minor: int = 0  # a sale: the deposit, its own line
    deposit_refunded_minor: int = 0  # a hand-back: the deposit paid back
    value_paid_out_minor: int = 0  # a hand-back: the principal left, paid out
    bonus_forfeited_minor: int = 0  # a hand-back: the bonus left, kept by the house


def _balance_after(operation: Operation, account: Account) -> int:
    last = (
        Transfer.objects.filter(Q(debit_account=account) | Q(credit_account=account))
        .filter(operation_id__lte=operation.pk)
        .order_by("-operation_id", "-pk")
        .first()
    )
    if last is None:
        return 0
    return (
        last.debit_balance_after
        if last.debit_account_id == account.pk
        else last.credit_balance_after
    )


def _deposits(operation: Operation) -> tuple[int, int]:
    """The deposit taken and the deposit paid back in ``operation`` (from its transfers, so
    receipts of sales made before the deposit had its own line show it too)."""
    taken = given = 0
    for transfer in operation.transfers.select_related("debit_account", "credit_account"):
        if transfer.credit_account.kind == AccountKind.DEPOSITS:
            taken += transfer.amount
        if transfer.debit_account.kind == AccountKind.DEPOSITS:
            given += transfer.amount
    return taken, given


def receipt_of(operation: Operation) -> Receipt:
    accounts = {a.kind: a for a in Account.objects.filter(card=operation.card)}
    value = None
    if AccountKind.CARD_PRINCIPAL in accounts:
        value = sum(
            _balance_after(operation, accounts[kind])
            for kind in (AccountKind.CARD_PRINCIPAL, AccountKind.CARD_BONUS)
            if kind in accounts
        )
    points = (
        _balance_after(operation, accounts[AccountKind.CARD_POINTS])
        if AccountKind.CARD_POINTS in accounts
        else None
    )
    if operation.staff is not None:
        cashier = operation.staff.get_full_name() or operation.staff.username
    else:
        cashier = operation.terminal.name if operation.terminal is not None else ""
    from_balance = 0
    if operation.kind == OperationKind.PURCHASE:
        from_balance = operation.net_minor - operation.paid_other_minor
    details = operation.details or {}
    deposit_taken, deposit_given = _deposits(operation)
    return Receipt(
        operation=operation,
        time=timezone.localtime(operation.created_at),
        cashier=cashier,
        card=operation.card.masked_number,
        balance_after_minor=value,
        points_after=points,
        paid_from_balance_minor=from_balance,
        points_earned=details.get("points_earned", 0),
        points_redeemed=details.get("points_redeemed", 0),
        deposit_taken_minor=deposit_taken,
        deposit_refunded_minor=deposit_given,
        value_paid_out_minor=details.get("value_paid_out_minor", 0),
        bonus_forfeited_minor=details.get("bonus_forfeited_minor", 0),
    )


@require_GET
@access.staff_page(Action.VIEW_RECEIPT)
def receipt(request: HttpRequest, operation_id: int) -> HttpResponse:
    """A store's staff open their own store's receipts only; HQ roles open any."""
    actor = actor_of(request)
    operations = Operation.objects.select_related("card", "location", "staff", "terminal")
    if not actor.at_hq:
        operations = operations.filter(location=actor.location)
    operation = operations.filter(pk=operation_id).first()
    if operation is None:
        raise NotFound(_("No receipt with that number here."))
    return render(request, "web/receipt.html", {"receipt": receipt_of(operation)})
