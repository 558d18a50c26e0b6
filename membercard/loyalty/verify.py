"""Points lots against the points ledger: for every card, its live lots add up to its
``card_points`` balance, and every lot's remaining points follow from its entries. Gift
stock against its movements: every quantity is the sum of its movements, each step's
balance follows from the one before."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from membercard.cards.models import Card
from membercard.core.models import Location
from membercard.ledger.models import Account, AccountKind, Operation, OperationKind
from membercard.ledger.verify import Summary
from membercard.loyalty.models import (
    Gift,
    GiftStock,
    GiftStockMovement,
    PointsLot,
    PointsLotEntry,
)


def verify_points() -> Summary:
    summary = Summary("points")
    lots: dict[int, int] = defaultdict(int)
    for row in PointsLot.objects.values("card_id").annotate(total=Sum("remaining")):
        lots[row["card_id"]] = row["total"] or 0
    balances = dict(
        Account.objects.filter(kind=AccountKind.CARD_POINTS).values_list("card_id", "balance")
    )
    wrong = [c for c in sorted(set(lots) | set(balances)) if lots[c] != balances.get(c, 0)]
    numbers = dict(Card.objects.filter(pk__in=wrong).values_list("pk", "number"))
    for card_id in wrong:
        summary.problems.append(
            f"card {numbers.get(card_id, card_id)}: points balance {balances.get(card_id, 0)}, "
            f"but its lots hold {lots[card_id]}"
        )
    entries = dict(
        PointsLotEntry.objects.values("lot_id").annotate(t=Sum("points")).values_list("lot_id", "t")
    )
    checked = 0
    for lot_id, remaining in PointsLot.objects.values_list("pk", "remaining").iterator():
        checked += 1
        if entries.get(lot_id, 0) != remaining:
            summary.problems.append(
                f"points lot {lot_id}: {remaining} remaining, but its entries give "
                f"{entries.get(lot_id, 0)}"
            )
    summary.checked["card points accounts"] = len(set(lots) | set(balances))
    summary.checked["points lots"] = checked
    return summary


def verify_gift_stock() -> Summary:
    """Replay each (gift, location)'s movements in order: each ``balance_after`` is the one
    before plus its delta, never negative, and the last is the stock row's quantity."""
    summary = Summary("gift stock")
    stock = {
        (gift, location): quantity
        for gift, location, quantity in GiftStock.objects.values_list(
            "gift_id", "location_id", "quantity"
        )
    }
    replayed: dict[tuple[int, int], int] = defaultdict(int)
    moves = 0
    rows = GiftStockMovement.objects.order_by("gift_id", "location_id", "pk").values_list(
        "pk", "gift_id", "location_id", "delta", "balance_after"
    )
    for pk, gift, location, delta, after in rows.iterator(chunk_size=2000):
        moves += 1
        expected = replayed[gift, location] + delta
        if after != expected or after < 0:
            summary.problems.append(
                f"gift stock movement {pk}: balance after {after}, but the movements before "
                f"it give {expected}"
            )
        replayed[gift, location] = expected
    wrong = [
        key
        for key in sorted(set(stock) | set(replayed))
        if stock.get(key, 0) != replayed.get(key, 0) or stock.get(key, 0) < 0
    ]
    if wrong:
        gifts = dict(Gift.objects.values_list("pk", "code"))
        places = dict(Location.objects.values_list("pk", "code"))
        for gift, location in wrong:
            summary.problems.append(
                f"gift {gifts.get(gift, gift)} at {places.get(location, location)}: stock "
                f"{stock.get((gift, location), 0)}, but its movements give "
                f"{replayed.get((gift, location), 0)}"
            )
    summary.checked["gift stock rows"] = len(stock)
    summary.checked["gift stock movements"] = moves
    summary.checked["gift redemptions"] = _check_redemptions(summary)
    return summary


def _check_redemptions(summary: Summary) -> int:
    """Each gift redemption took its quantity out of stock; each reversal of one put it back."""
    moved: dict[int, int] = defaultdict(int)
    rows = GiftStockMovement.objects.filter(operation__isnull=False).values_list(
        "operation_id", "delta"
    )
    for operation_id, delta in rows.iterator(chunk_size=2000):
        moved[operation_id] += delta
    redemptions = Operation.objects.filter(kind=OperationKind.GIFT_REDEMPTION)
    expected = {
        pk: -details.get("quantity", 0) for pk, details in redemptions.values_list("pk", "details")
    }
    count = len(expected)
    reversals = Operation.objects.filter(reverses__kind=OperationKind.GIFT_REDEMPTION)
    expected |= {
        pk: -expected.get(original, 0)
        for pk, original in reversals.values_list("pk", "reverses_id")
    }
    for pk in sorted(set(expected) | set(moved)):
        if moved.get(pk, 0) != expected.get(pk, 0):
            summary.problems.append(
                f"operation {pk}: moved {moved.get(pk, 0):+d} pieces of gift stock, "
                f"expected {expected.get(pk, 0):+d}"
            )
    return count
