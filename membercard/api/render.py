"""Turning cards and operations into response bodies.

Every operation body is rendered **only from the operation and the card's transfers up to
it** (balances after: the last transfer on each card account up to the operation): facts
fixed when the operation was written. With deterministic JSON (fields in schema
order, no whitespace, times in the installation's zone) a replayed request, for which the
ledger returns the first operation, re-renders byte for byte the body it got the first
time, however the card changed since.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from ninja import Schema

from membercard.api import gift_schemas, hand_back_schemas, schemas
from membercard.cards.models import Card
from membercard.core.money import format_minor
from membercard.ledger.models import (
    CARD_ACCOUNT_KINDS,
    Account,
    AccountKind,
    Operation,
    OperationKind,
    Transfer,
)
from membercard.ledger.selectors import CardSummary
from membercard.loyalty.services.earning import discount_rate
from membercard.loyalty.services.tiers import current_tier

JSON = "application/json"


def json_response(
    body: Schema, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(body.model_dump_json(), status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# Cards --------------------------------------------------------------------------------


def _tier_and_rate(card: Card) -> tuple[schemas.TierOut | None, int]:
    """The card's tier and the discount rate the next purchase gets (the tier's rate
    replaces the product's)."""
    tier = current_tier(card)
    out = schemas.TierOut(code=tier.code, name=tier.name) if tier is not None else None
    return out, discount_rate(card.product, tier)


def product_out(card: Card) -> schemas.ProductOut:
    product = card.product
    return schemas.ProductOut(
        code=product.code,
        name=product.name,
        stored_value=product.has_stored_value,
        rechargeable=product.rechargeable,
        stores_may_top_up=product.stores_may_top_up,
        pin_required=product.pin_required,
        points=product.has_points,
    )


def card_out(summary: CardSummary) -> schemas.CardOut:
    card = summary.card
    member = card.member
    tier, rate_bp = _tier_and_rate(card)
    return schemas.CardOut(
        number=card.number,
        number_masked=card.masked_number,
        state=card.state,
        product=product_out(card),
        member=schemas.MemberOut(name=member.name, mobile=member.masked_mobile) if member else None,
        tier=tier,
        discount_rate_bp=rate_bp,
        balance=schemas.BalanceOut(
            principal=summary.principal_minor,
            bonus=summary.bonus_minor,
            total=summary.balance_minor,
            currency=summary.currency,
        ),
        points=summary.points,
        expires_on=card.expires_on,
        read_as=str(summary.read_as) if summary.read_as else None,
        currency=summary.currency,
    )


# Operations ---------------------------------------------------------------------------


def with_related(operation: Operation) -> Operation:
    """The operation with its card, store and terminal loaded (one query if they are not:
    a replayed operation comes from the idempotency record without them)."""
    relations = (Operation.card, Operation.location, Operation.terminal)
    if all(field.is_cached(operation) for field in relations):
        return operation
    return Operation.objects.select_related("card", "location", "terminal").get(pk=operation.pk)


def transfers_of(operations: Iterable[Operation]) -> dict[int, list[Transfer]]:
    found: dict[int, list[Transfer]] = {op.pk: [] for op in operations}
    rows = (
        Transfer.objects.filter(operation_id__in=list(found))
        .select_related("debit_account", "credit_account")
        .order_by("pk")
    )
    for transfer in rows:
        found[transfer.operation_id].append(transfer)
    return found


def _balances_sql() -> str:
    """For each account of a card: id and balance after of the last transfer, up to an
    operation, on its debit side and on its credit side. Raw SQL because this runs on every
    money response and compiling four ORM subqueries costs several times the query."""
    quote = connection.ops.quote_name
    transfer, account = quote(Transfer._meta.db_table), quote(Account._meta.db_table)

    def last(side: str, column: str) -> str:
        return (
            f"(SELECT t.{quote(column)} FROM {transfer} t "
            f"WHERE t.{quote(side + '_account_id')} = a.{quote('id')} "
            f"AND t.{quote('operation_id')} <= %s ORDER BY t.{quote('id')} DESC LIMIT 1)"
        )

    columns = ", ".join(
        last(side, column)
        for side in ("debit", "credit")
        for column in ("id", f"{side}_balance_after")
    )
    return f"SELECT a.{quote('kind')}, {columns} FROM {account} a WHERE a.{quote('card_id')} = %s"


def card_balances_after(operation: Operation) -> dict[str, int]:
    """The card's principal, bonus and points right after ``operation``, in one query.

    Each is the balance after the last transfer on that account up to and including the
    operation (transfers on one card are serialised by the card's lock, so their ids
    follow the card's history); 0 if there was none. The same whatever happened since."""
    with connection.cursor() as cursor:
        cursor.execute(_balances_sql(), [operation.pk] * 4 + [operation.card_id])
        rows = cursor.fetchall()
    after = dict.fromkeys(CARD_ACCOUNT_KINDS, 0)
    for kind, debit_id, debit_after, credit_id, credit_after in rows:
        if debit_id is not None or credit_id is not None:
            after[kind] = debit_after if (debit_id or 0) > (credit_id or 0) else credit_after
    return after


def _account_label(account: Account) -> str:
    return account.kind if account.card_id is not None else account.code


def _operation_fields(operation: Operation) -> dict:
    after = card_balances_after(operation)
    details = operation.details or {}
    paid_from_balance = (
        operation.net_minor - operation.paid_other_minor
        if operation.kind == OperationKind.PURCHASE
        else 0
    )
    return dict(
        operation_id=operation.pk,
        kind=operation.kind,
        receipt_number=operation.receipt_number,
        card_number_masked=operation.card.masked_number,
        store=operation.location.code,
        terminal=operation.terminal.name if operation.terminal else None,
        created_at=timezone.localtime(operation.created_at),
        business_date=operation.business_date,
        gross=operation.gross_minor,
        discount=operation.discount_minor,
        net=operation.net_minor,
        paid_from_balance=paid_from_balance,
        paid_other=operation.paid_other_minor,
        tender=operation.tender or None,
        bonus_granted=int(details.get("bonus_minor", 0)),
        card_fee=int(details.get("card_fee_minor", 0)),
        deposit=int(details.get("deposit_minor", 0)),
        points_earned=int(details.get("points_earned", 0)),
        points_redeemed=int(details.get("points_redeemed", 0)),
        points_taken_back=int(details.get("points_taken_back", 0)),
        balance_after=after[AccountKind.CARD_PRINCIPAL] + after[AccountKind.CARD_BONUS],
        points_after=after[AccountKind.CARD_POINTS],
        reverses=operation.reverses_id,
        refund_of=operation.refund_of_id,
        reference=operation.reference,
        currency=operation.currency,
    )


def operation_out(operation: Operation) -> schemas.OperationOut:
    return schemas.OperationOut(**_operation_fields(operation))


def gift_redemption_out(operation: Operation) -> gift_schemas.GiftRedemptionOut:
    """A gift redemption's answer, from the operation alone (the gift, quantity and price
    were copied into its details when it was made) and the card's points after it."""
    fields = _operation_fields(operation)
    details = operation.details or {}
    return gift_schemas.GiftRedemptionOut(
        **{name: fields[name] for name in _REDEMPTION_FIELDS},
        gift_code=details.get("gift", ""),
        gift_name=details.get("gift_name", ""),
        quantity=int(details.get("quantity", 0)),
        points_price=int(details.get("points_price", 0)),
        points_used=fields["points_redeemed"],
    )


def hand_back_out(operation: Operation) -> hand_back_schemas.HandBackOut:
    """A hand-back's answer, from the operation alone (its details keep the money lines and
    where the card went when it was made)."""
    details = operation.details or {}
    return hand_back_schemas.HandBackOut(
        **_operation_fields(operation),
        deposit_refunded=int(details.get("deposit_refunded_minor", operation.net_minor)),
        value_paid_out=int(details.get("value_paid_out_minor", 0)),
        bonus_forfeited=int(details.get("bonus_forfeited_minor", 0)),
        card_state=details.get("card_state", "recovered"),
    )


_REDEMPTION_FIELDS = (
    "operation_id", "kind", "receipt_number", "card_number_masked", "store", "terminal",
    "created_at", "business_date", "points_after", "balance_after", "currency",
)  # fmt: skip


def operation_detail_out(
    operation: Operation, transfers: list[Transfer]
) -> schemas.OperationDetailOut:
    body = schemas.OperationDetailOut(
        **_operation_fields(operation),
        transfers=[
            schemas.TransferOut(
                debit=_account_label(t.debit_account),
                credit=_account_label(t.credit_account),
                unit=t.unit,
                amount=t.amount,
                debit_balance_after=t.debit_balance_after,
                credit_balance_after=t.credit_balance_after,
            )
            for t in transfers
        ],
        receipt=schemas.ReceiptOut(number=operation.receipt_number, lines=[]),
    )
    body.receipt.lines = receipt_lines(operation, body)
    return body


def receipt_lines(operation: Operation, body: schemas.OperationOut) -> list[str]:
    """The printed receipt, one string per line (the till prints them as they are)."""

    def money(amount: int) -> str:
        return format_minor(amount).replace(f" {operation.currency}", "")

    when = timezone.localtime(operation.created_at).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"{operation.location.code} {operation.location.name}",
        f"Receipt {operation.receipt_number}",
        f"{when}" + (f"  {operation.terminal.name}" if operation.terminal else ""),
        f"Card {operation.card.masked_number}",
        operation.get_kind_display(),
    ]
    details = operation.details or {}
    gift = operation.kind == OperationKind.GIFT_REDEMPTION and "gift" in details
    rows = [
        ("Amount", operation.gross_minor, not gift),
        ("Discount", -operation.discount_minor, bool(operation.discount_minor)),
        ("Net", operation.net_minor, bool(operation.discount_minor)),
        ("Paid from card", body.paid_from_balance, bool(body.paid_from_balance)),
        (f"Paid {operation.tender or 'otherwise'}", body.paid_other, bool(body.paid_other)),
        ("Bonus", body.bonus_granted, bool(body.bonus_granted)),
    ]
    lines += [f"{label}: {money(amount)}" for label, amount, shown in rows if shown]
    if gift:
        lines.append(
            f"Gift {details['gift']} {details.get('gift_name', '')} x{details['quantity']}"
        )
        lines.append(f"Points used: {body.points_redeemed}")
    if body.points_earned:
        lines.append(f"Points earned: {body.points_earned}")
    if body.points_taken_back:
        lines.append(f"Points taken back: {body.points_taken_back}")
    if operation.reverses_id:
        lines.append(f"Reverses R{operation.reverses_id:010d}")
    if operation.refund_of_id:
        lines.append(f"Refund of R{operation.refund_of_id:010d}")
    lines += [
        f"Card balance: {money(body.balance_after)} {operation.currency}",
        f"Points: {body.points_after}",
    ]
    return lines
