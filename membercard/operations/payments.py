"""Paying with a card, and refunding (part of) a purchase back to where it came from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.cards.pins import check_pin, counts_wrong_pins, raises_counted_refusal
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import (
    CardNotActive,
    InsufficientBalance,
    NotFound,
    RefundExceedsPurchase,
    RefundNeedsManager,
)
from membercard.core.money import check_amount, format_minor, pro_rata
from membercard.core.permissions import Action, allowed, require
from membercard.core.transactions import business_operation
from membercard.days.gate import current_day
from membercard.ledger import idempotency
from membercard.ledger.accounts import card_accounts, house_account
from membercard.ledger.models import AccountKind, Operation, OperationKind, Transfer
from membercard.ledger.posting import Entry, lock_cards
from membercard.loyalty.models import LotEvent
from membercard.loyalty.policies import lot_expiry, policy_for
from membercard.loyalty.services import standing, tiers
from membercard.loyalty.services.points import PointsBook, lot_created_by
from membercard.operations.checks import (
    check_tender,
    ensure_usable,
    handed_back_since,
)
from membercard.operations.posting import post
from membercard.operations.pricing import price_purchase


@raises_counted_refusal
@business_operation
@counts_wrong_pins  # the card row locked before anything else: wrong PINs counted under it
def purchase(
    *,
    actor: Actor,
    card_number: str,
    amount_minor: int,
    idempotency_key: str,
    pay_with_balance: bool = True,
    allow_split: bool = False,
    other_tender: str = "",
    redeem_points: int = 0,
    pin: str | None = None,
    reference: str = "",
    read_as: str = "",
    occurred_at: dt.datetime | None = None,
) -> Operation:
    """A purchase of ``amount_minor`` gross: discount (the card's tier rate, else the
    product's), optionally ``redeem_points`` paying part of it under the product's
    conversion rule, pay from balance (and the rest otherwise when ``allow_split``), earn
    points as a new lot. A tier reached by this purchase applies from the next one."""
    request = {
        "card": card_number,
        "amount_minor": amount_minor,
        "pay_with_balance": pay_with_balance,
        "allow_split": allow_split,
        "other_tender": other_tender,
        "reference": reference,
    }
    if redeem_points:
        request["redeem_points"] = redeem_points
    claim = idempotency.claim(actor=actor, key=idempotency_key, service="purchase", request=request)
    if claim.replay:
        return claim.replay
    require(actor, Action.TAKE_PAYMENT, _("take payments"))
    check_amount(amount_minor)
    other_tender = check_tender(other_tender, needed=False)
    (card,) = lock_cards(card_number)
    ensure_usable(card)
    product = card.product
    accounts = card_accounts(card)
    pricing = price_purchase(
        card=card,
        accounts=accounts,
        location=actor.location,
        amount_minor=amount_minor,
        pay_with_balance=pay_with_balance,
        redeem_points=redeem_points,
    )
    terms, earned, policy, on = pricing.terms, pricing.earned, pricing.policy, pricing.on
    net, from_balance = pricing.net_minor, pricing.from_balance_minor
    from_principal, from_bonus = pricing.from_principal_minor, pricing.from_bonus_minor
    if from_balance < net and pay_with_balance and product.has_stored_value and not allow_split:
        raise InsufficientBalance(available_minor=pricing.available_minor, needed_minor=net)
    if from_balance or terms.points_redeemed:
        check_pin(card, pin)
    details = {"points_earned": earned.points, **terms.details(), **earned.details()}

    entry = Entry(
        OperationKind.PURCHASE,
        card,
        fields={
            "gross_minor": amount_minor,
            "discount_minor": terms.total_discount_minor,
            "net_minor": net,
            "paid_other_minor": net - from_balance,
            "tender": other_tender if net > from_balance else "",
            "reference": reference[:64],
            "read_as": read_as,
            "details": details,
        },
    )
    # House accounts are looked up only for legs that move something (a query each).
    if from_balance:
        redeemed = house_account(AccountKind.VALUE_REDEEMED, location=actor.location)
        entry.move(accounts.principal, redeemed, from_principal)
        entry.move(accounts.bonus, redeemed, from_bonus)
    book = PointsBook(entry, accounts.points)
    if terms.points_redeemed:
        book.spend(
            terms.points_redeemed,
            credit=house_account(AccountKind.POINTS_REDEEMED, location=actor.location),
            on=on,
        )
    repaid = standing.repay_owed(card, earned.points)
    if repaid:
        details["points_debt_repaid"] = repaid
    if earned.points > repaid:
        book.earn(
            earned.points - repaid,
            source=house_account(AccountKind.POINTS_ISSUED),
            on=on,
            expires_on=lot_expiry(policy, on),
        )
    operation = post(entry, actor=actor, occurred_at=occurred_at, points=book)
    tiers.upgrade_after_purchase(card=card, operation=operation, actor=actor)
    return claim.complete(operation)


# Refunds ----------------------------------------------------------------------


def _live_refunds(purchase: Operation) -> list[Operation]:
    return list(purchase.refunds.filter(reversed_by__isnull=True))


def _card_side_sums(operations: list[Operation], *, credit: bool) -> dict[str, int]:
    """Amounts moved into (``credit``) or out of the card's buckets by ``operations``."""
    side = "credit_account" if credit else "debit_account"
    rows = (
        Transfer.objects.filter(operation__in=operations)
        .filter(Q(**{f"{side}__card__isnull": False}))
        .values(f"{side}__kind")
        .annotate(total=Sum("amount"))
    )
    return {row[f"{side}__kind"]: row["total"] for row in rows}


def _allocate(amount: int, capacity: dict[str, int]) -> dict[str, int]:
    """Split ``amount`` over buckets pro rata to what each has left to give back.

    Each share rounds down; the few units left over go to the buckets in the
    order given while they have room. A final refund of everything left returns
    every bucket exactly, so several partial refunds always add up to the whole.
    """
    total = sum(capacity.values())
    shares = {name: pro_rata(amount, room, total) for name, room in capacity.items()}
    left = amount - sum(shares.values())
    for name, room in capacity.items():
        extra = min(left, room - shares[name])
        shares[name] += extra
        left -= extra
    return shares


def _current_card(card: Card) -> Card:
    """Value refunded to a card that was since replaced goes to its replacement."""
    while card.replaced_by_id is not None:
        card = card.replaced_by
    return card


@business_operation
def refund(
    *,
    actor: Actor,
    operation_id: int,
    amount_minor: int,
    idempotency_key: str,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
    approved_by: Actor | None = None,
) -> Operation:
    """Refund (part of) a purchase: value back to the buckets it came from, the part paid
    otherwise back by the same tender, the points it earned taken back pro rata (claw-back,
    see ``_claw_back``) and the points that paid part of it given back pro rata.

    A cashier or a terminal refunds under the counter refund rule (``_check_counter_refund_rule``)
    unless ``approved_by`` is given: the second person who approved this refund (four eyes,
    ``membercard.approvals.refunds``, which checks who may approve; the approval posts as
    the maker with this keyword). Their staff id is kept in the operation's details."""
    request = {"operation": operation_id, "amount_minor": amount_minor, "reason": reason}
    claim = idempotency.claim(actor=actor, key=idempotency_key, service="refund", request=request)
    if claim.replay:
        return claim.replay
    require(actor, Action.REFUND, _("refund purchases"))
    check_amount(amount_minor)
    original = (
        Operation.objects.filter(pk=operation_id, kind=OperationKind.PURCHASE)
        .select_related("card", "location")
        .first()
    )
    # A store sees only its own purchases; another store's answer like nonexistent ones.
    if original is None or (not actor.at_hq and original.location_id != actor.location.pk):
        raise NotFound(_("No purchase with that number here."))
    (card,) = lock_cards(_current_card(original.card).number)
    while card.replaced_by_id is not None:
        # Replaced while we waited for its lock: the value goes to the replacement. A replaced
        # card is final, so holding its lock while taking the next one cannot deadlock.
        (card,) = lock_cards(_current_card(card).number)
    if card.state not in (CardState.ACTIVE, CardState.FROZEN):
        raise CardNotActive(_("Refunds go back to an active card."), state=card.state)
    if handed_back_since(card, original):
        raise CardNotActive(_("The card was handed back since that purchase."), state=card.state)
    if hasattr(original, "reversed_by"):
        raise RefundExceedsPurchase(_("That purchase was reversed: nothing is left to refund."))

    earlier = _live_refunds(original)
    spent = _card_side_sums([original], credit=False)
    given_back = _card_side_sums(earlier, credit=True)
    capacity = {
        "principal": spent.get(AccountKind.CARD_PRINCIPAL, 0)
        - given_back.get(AccountKind.CARD_PRINCIPAL, 0),
        "bonus": spent.get(AccountKind.CARD_BONUS, 0) - given_back.get(AccountKind.CARD_BONUS, 0),
        "other": original.paid_other_minor - sum(r.paid_other_minor for r in earlier),
    }
    refundable = sum(capacity.values())
    if amount_minor > refundable:
        raise RefundExceedsPurchase(refundable_minor=refundable)
    if approved_by is None:
        _check_counter_refund_rule(actor, original, earlier, amount_minor)
    share = _allocate(amount_minor, capacity)

    # Points come back pro rata of the net amount refunded so far (rounded down). Never a
    # negative amount: once a refund in the middle was reversed, the live refunds may already
    # hold more than the running share; the last refund then evens it out to exactly earned.
    earned = original.details.get("points_earned", 0)
    refunded_after = original.net_minor - refundable + amount_minor
    points_due = max(
        0,
        pro_rata(earned, refunded_after, original.net_minor)
        - sum(
            r.details.get("points_taken_back", 0) + r.details.get("points_shortfall", 0)
            for r in earlier
        ),
    )
    accounts = card_accounts(card)
    details: dict[str, int] = {}
    if approved_by is not None and approved_by.staff is not None:
        details["approved_by"] = approved_by.staff.pk
    entry = Entry(
        OperationKind.REFUND,
        card,
        fields={
            "gross_minor": amount_minor,
            "net_minor": amount_minor,
            "paid_other_minor": share["other"],
            "tender": original.tender if share["other"] else "",
            "refund_of": original,
            "reason": reason.strip(),
            "details": details,
        },
    )
    redeemed = house_account(AccountKind.VALUE_REDEEMED, location=original.location)
    entry.move(redeemed, accounts.principal, share["principal"])
    entry.move(redeemed, accounts.bonus, share["bonus"])
    book = PointsBook(entry, accounts.points)
    # Points that paid part of the purchase come back pro rata, to the lots they left; that
    # comes first, so the claw-back below can take from them rather than fall short.
    points_paid = original.details.get("points_redeemed", 0)
    if points_paid:
        returned = max(
            0,
            pro_rata(points_paid, refunded_after, original.net_minor)
            - sum(r.details.get("points_returned", 0) for r in earlier),
        )
        source = house_account(AccountKind.POINTS_REDEEMED, location=original.location)
        book.give_back(returned, source=source, drawn_by=original)
    _claw_back(book, original, points_due, details)
    if points_paid:
        details["points_returned"] = returned
    return claim.complete(post(entry, actor=actor, occurred_at=occurred_at, points=book))


def _settings_refund_limit() -> int:
    return settings.MEMBERCARD_COUNTER_REFUND_LIMIT


# Where the counter refund threshold comes from. HQ sets it with the approval thresholds
# (``approvals.thresholds``, a layer above this one): the approvals app plugs its reading
# in when it loads (``use_refund_threshold``); the setting is its default either way.
_refund_threshold: Callable[[], int] = _settings_refund_limit


def use_refund_threshold(source: Callable[[], int]) -> None:
    """Read the counter refund threshold from ``source`` (called by the approvals app)."""
    global _refund_threshold
    _refund_threshold = source


def refund_threshold() -> int:
    """The counter refund threshold in force (minor units)."""
    return _refund_threshold()


def _check_counter_refund_rule(
    actor: Actor, original: Operation, earlier: list[Operation], amount_minor: int
) -> None:
    """The one counter refund rule. Who may not refund any amount (a cashier, a POS
    terminal) refunds by themselves a purchase of the open business day only, and less
    than the refund threshold on it in all (so splitting a refund does not get round it):
    "at or above the threshold" needs a second person, as every approval threshold. Anything
    else is refused (``RefundNeedsManager``): a store manager, who can see the customer and
    the goods, refunds it or approves the request (``approvals.refunds``)."""
    if allowed(actor, Action.REFUND_ANY_AMOUNT, original.location):
        return
    limit = refund_threshold()
    if original.business_date != current_day(actor.location, on=today()):
        raise RefundNeedsManager(
            _("The counter refunds purchases of the open business day only: ask a manager."),
            limit_minor=limit,
        )
    refunded = sum(r.gross_minor for r in earlier) + amount_minor
    if refunded >= limit:
        raise RefundNeedsManager(
            _("Refunds of %(limit)s or more on one purchase need a manager.")
            % {"limit": format_minor(limit)},
            limit_minor=limit,
        )


def _claw_back(book: PointsBook, original: Operation, points_due: int, details: dict) -> None:
    """Take back the points a refunded purchase earned: from the lot it created first, then
    from the card's other lots (closest to expiry first). What the card no longer holds is
    the shortfall; where the product lets points go negative the card owes it (paid from
    the next points earned), else it is written off."""
    back = book.take(
        points_due,
        credit=house_account(AccountKind.POINTS_ISSUED),
        event=LotEvent.TAKE_BACK,
        first=lot_created_by(original),
        all_or_nothing=False,
    )
    details.update(points_taken_back=back, points_shortfall=points_due - back)
    if points_due > back and policy_for(book.card.product).points_may_go_negative:
        standing.owe_points(book.card, points_due - back)
        details["points_owed"] = points_due - back
