"""Points lots through the ledger.

Every points movement on a card is two things written together: ledger legs on the
card's ``card_points`` account (the balance the ledger locks and checks), and the lot
changes that say *which* points moved. ``PointsBook`` collects both for one operation
and writes the lots right after the operation is posted, so the live lots of a card
always add up to its ``card_points`` balance (``membercard verify`` checks it).

Rules:

* **Earning** creates a lot that expires by the product's policy (``lot_expiry``).
* **Spending** (a purchase paying with points, a gift) draws the *usable* lots (not
  past their last day) closest to expiry first; lots that never expire go last, ties
  by age. The card must not owe points.
* **Taking back** (refund claw-back, adjustments down, a card handed back) draws the
  given lot first (the one the refunded purchase created, or its continuation after a
  replacement), then every live lot closest to expiry first, expired or not.
* **Reversal** mirrors an operation's lot changes: points that left a lot go back to
  it, points that arrived are taken back from it first.
* **Replacement** closes each live lot and continues it (same dates) on the new card.

Use inside a business operation, with the card row locked (``lock_cards``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext as _

from membercard.cards.models import Card
from membercard.core.errors import InsufficientPoints, ValidationFailed
from membercard.ledger.accounts import card_accounts
from membercard.ledger.models import Account, Operation
from membercard.ledger.posting import Entry
from membercard.loyalty.errors import PointsOwed
from membercard.loyalty.models import LotEvent, PointsLot, PointsLotEntry
from membercard.loyalty.services.standing import points_owed

FIFO = (F("expires_on").asc(nulls_last=True), "pk")


def _fifo_key(lot: PointsLot) -> tuple:
    return (lot.expires_on is None, lot.expires_on or dt.date.max, lot.pk or 0)


def usable_on(lot: PointsLot, on: dt.date) -> bool:
    return lot.expires_on is None or lot.expires_on >= on


def check_points(points: object, *, field: str = "points") -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationFailed(_("Points are a whole number above zero."), field=field)
    return points


@dataclass
class _Change:
    lot: PointsLot
    points: int  # signed
    event: LotEvent


class PointsBook:
    """The points side of one operation: its ledger legs (added to ``entry``) and its lot
    changes (written by ``save`` once the operation exists)."""

    def __init__(self, entry: Entry, points_account: Account | None = None) -> None:
        self.entry = entry
        self.card: Card = entry.card
        self.account = points_account or card_accounts(entry.card).points
        self._lots: dict[int, PointsLot] = {}
        self._live_loaded = False
        self._new: list[tuple[PointsLot, LotEvent]] = []
        self._changes: list[_Change] = []

    # Reading ---------------------------------------------------------------------------

    def _lot(self, lot: PointsLot) -> PointsLot:
        """The one in-memory copy of ``lot`` this book changes."""
        return self._lots.setdefault(lot.pk, lot)

    def live_lots(self) -> list[PointsLot]:
        """The card's lots with points left, closest to expiry first."""
        if not self._live_loaded:
            for lot in PointsLot.objects.filter(card=self.card, remaining__gt=0).order_by(*FIFO):
                self._lot(lot)
            self._live_loaded = True
        own = (lot for lot in self._lots.values() if lot.card_id == self.card.pk)
        return sorted((lot for lot in own if lot.remaining > 0), key=_fifo_key)

    def usable(self, on: dt.date) -> int:
        return sum(lot.remaining for lot in self.live_lots() if usable_on(lot, on))

    def current(self, lot: PointsLot) -> PointsLot:
        """The lot itself, or its continuation on the card that replaced its card."""
        while (following := PointsLot.objects.filter(origin=lot).first()) is not None:
            lot = following
        return self._lot(lot)

    # Lot changes (no ledger legs) ------------------------------------------------------

    def _draw(self, lots: list[PointsLot], points: int, event: LotEvent) -> int:
        left = points
        for lot in lots:
            take = min(lot.remaining, left)
            if take > 0:
                lot.remaining -= take
                self._changes.append(_Change(lot, -take, event))
                left -= take
            if left == 0:
                break
        return points - left

    def _refill(self, lot: PointsLot, points: int, event: LotEvent) -> None:
        """Put ``points`` back into ``lot`` as far as it has room; any rest becomes a new lot
        with the same dates (so giving back never extends a validity)."""
        room = min(points, lot.points - lot.remaining)
        if room > 0:
            lot.remaining += room
            self._changes.append(_Change(lot, room, event))
        if points > room:
            self._open(points - room, event, earned_on=lot.earned_on, expires_on=lot.expires_on)

    def _open(
        self,
        points: int,
        event: LotEvent,
        *,
        earned_on: dt.date,
        expires_on: dt.date | None,
        card: Card | None = None,
        origin: PointsLot | None = None,
    ) -> PointsLot:
        lot = PointsLot(
            card=card or self.card,
            points=points,
            remaining=points,
            earned_on=earned_on,
            expires_on=expires_on,
            origin=origin,
        )
        self._new.append((lot, event))
        return lot

    # With ledger legs ------------------------------------------------------------------

    def earn(
        self,
        points: int,
        *,
        source: Account,
        on: dt.date,
        expires_on: dt.date | None,
        event: LotEvent = LotEvent.EARN,
    ) -> PointsLot | None:
        """``points`` arrive from ``source`` as a new lot usable through ``expires_on``."""
        if points <= 0:
            return None
        self.entry.move(source, self.account, points)
        return self._open(points, event, earned_on=on, expires_on=expires_on)

    def spend(
        self, points: int, *, credit: Account, on: dt.date, event: LotEvent = LotEvent.REDEEM
    ) -> None:
        """Spend ``points`` of the lots usable on ``on``, closest to expiry first, to ``credit``.

        Refuses (``insufficient_points``, with ``available`` and ``needed``) when the
        usable lots hold fewer, and (``points_owed``) while the card owes points.
        """
        check_points(points)
        if points_owed(self.card):
            raise PointsOwed(owed=points_owed(self.card))
        usable = [lot for lot in self.live_lots() if usable_on(lot, on)]
        available = sum(lot.remaining for lot in usable)
        if points > available:
            raise InsufficientPoints(available=available, needed=points)
        self._draw(usable, points, event)
        self.entry.move(self.account, credit, points)

    def take(
        self,
        points: int,
        *,
        credit: Account,
        event: LotEvent,
        first: PointsLot | None = None,
        all_or_nothing: bool = True,
    ) -> int:
        """Take up to ``points`` from the card (``first`` lot first, then closest to expiry,
        expired or not) to ``credit``; returns how many were taken. ``all_or_nothing``
        refuses when the card holds fewer."""
        lots = self.live_lots()
        if first is not None:
            head = self.current(first)
            if head.card_id == self.card.pk:
                lots = [head, *(lot for lot in lots if lot is not head)]
        held = sum(lot.remaining for lot in lots)
        if all_or_nothing and points > held:
            raise InsufficientPoints(available=held, needed=points)
        taken = self._draw(lots, max(points, 0), event)
        self.entry.move(self.account, credit, taken)
        return taken

    def give_back(self, points: int, *, source: Account, drawn_by: Operation) -> None:
        """Return ``points`` that ``drawn_by`` spent to the lots it drew them from (the
        latest-expiring first), from ``source``."""
        if points <= 0:
            return
        self.entry.move(source, self.account, points)
        drawn = (
            PointsLotEntry.objects.filter(operation=drawn_by, points__lt=0)
            .select_related("lot")
            .order_by("pk")
        )
        lots = sorted((self.current(e.lot) for e in drawn), key=_fifo_key, reverse=True)
        # A lot emptied before its card was replaced has no continuation on the new card:
        # what it would take back opens a lot here instead, never on the old card.
        for lot in (lot for lot in lots if lot.card_id == self.card.pk):
            room = min(points, lot.points - lot.remaining)
            if room > 0:
                self._refill(lot, room, LotEvent.RESTORE)
                points -= room
        if points > 0:
            last = max(lots, key=_fifo_key) if lots else None
            self._open(
                points,
                LotEvent.RESTORE,
                earned_on=last.earned_on if last else drawn_by.business_date,
                expires_on=last.expires_on if last else None,
            )

    def expire_due(self, *, on: dt.date, credit: Account) -> int:
        """Expire every lot whose last day is before ``on``; returns the points expired."""
        due = [lot for lot in self.live_lots() if not usable_on(lot, on)]
        expired = self._draw(due, sum(lot.remaining for lot in due), LotEvent.EXPIRE)
        self.entry.move(self.account, credit, expired)
        return expired

    def move_all(self, *, to_card: Card, to_account: Account) -> int:
        """Close every live lot and continue it on ``to_card`` (a replacement)."""
        moved = 0
        for lot in self.live_lots():
            points = lot.remaining
            self._draw([lot], points, LotEvent.MOVE_OUT)
            self._open(
                points,
                LotEvent.MOVE_IN,
                earned_on=lot.earned_on,
                expires_on=lot.expires_on,
                card=to_card,
                origin=lot,
            )
            moved += points
        self.entry.move(self.account, to_account, moved)
        return moved

    def mirror(self, original: Operation) -> None:
        """Undo ``original``'s lot changes (its reversal; the ledger legs are the reversal's)."""
        for e in PointsLotEntry.objects.filter(operation=original).select_related("lot"):
            lot = self.current(e.lot)
            if lot.card_id != self.card.pk:
                continue
            if e.points < 0:
                self._refill(lot, -e.points, LotEvent.RESTORE)
                continue
            lots = [lot, *(other for other in self.live_lots() if other is not lot)]
            if self._draw(lots, e.points, LotEvent.TAKE_BACK) < e.points:
                raise InsufficientPoints(available=self.account.balance, needed=e.points)

    # Writing ---------------------------------------------------------------------------

    def save(self, operation: Operation) -> None:
        """Write the new lots, the lot entries and the lots' remaining points."""
        entries = []
        for lot, event in self._new:
            lot.operation = operation
            lot.save()
            entries.append(
                PointsLotEntry(lot=lot, operation=operation, event=event, points=lot.points)
            )
        changed: dict[int, PointsLot] = {}
        for change in self._changes:
            entries.append(
                PointsLotEntry(
                    lot=change.lot, operation=operation, event=change.event, points=change.points
                )
            )
            changed[change.lot.pk] = change.lot
        PointsLotEntry.objects.bulk_create(entries)
        for lot in changed.values():
            PointsLot.objects.filter(pk=lot.pk).update(remaining=lot.remaining)
        self._new, self._changes = [], []


def spend_points(
    *,
    card: Card,
    points: int,
    entry: Entry,
    credit: Account,
    on: dt.date,
    book: PointsBook | None = None,
) -> PointsBook:
    """Spend ``points`` of ``card`` inside a business operation that is writing ``entry``:
    the usable lots closest to expiry go first, the points go to ``credit`` (a store's
    ``points_redeemed`` for a purchase or a gift). Post the entry with the returned book
    (``membercard.operations.posting.post(entry, actor=..., points=book)``) so the lots
    are written with the operation::

        entry = Entry(OperationKind.GIFT_REDEMPTION, card, fields={...})
        book = spend_points(card=card, points=500, entry=entry, on=today(),
                            credit=house_account(AccountKind.POINTS_REDEEMED, location=here))
        operation = post(entry, actor=actor, points=book)

    Reversing that operation with ``PointsBook(entry).mirror(original)`` puts the points
    back into the same lots.
    """
    if entry.card.pk != card.pk:
        raise ValueError("The entry is for another card.")
    book = book or PointsBook(entry)
    book.spend(points, credit=credit, on=on)
    return book


def lot_created_by(operation: Operation) -> PointsLot | None:
    """The lot an operation (a purchase) created, if it earned any points."""
    return PointsLot.objects.filter(operation=operation, origin__isnull=True).first()
