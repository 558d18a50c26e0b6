"""Property: random earn / redeem / refund / reverse / expire / adjust / replace sequences,
over days, keep the points ledger balanced and every card's points equal to its live lots.

Refusals are fine (a refused step must leave everything as it was); afterwards the ledger
and points verifies are clean, no lot holds more than it was given or less than nothing,
no card owes a negative amount, and no purchase had more points taken back than it earned.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from membercard.core.actors import system_actor
from membercard.core.errors import DomainError
from membercard.core.models import Role
from membercard.ledger.models import Account, AccountKind, Operation, OperationKind
from membercard.ledger.verify import verify_ledger
from membercard.loyalty.models import CardStanding, PointsLot
from membercard.loyalty.verify import verify_points
from membercard.operations import adjust, purchase, refund, reverse
from membercard.operations.card_life import replace_card
from membercard.operations.expiry import expire_points
from tests import factories as f
from tests.loyalty.helpers import on_day, points_product

START = dt.date(2027, 1, 1)
amounts = st.integers(min_value=1, max_value=20_000)
prices = st.integers(min_value=100, max_value=20_000)
card_index = st.integers(0, 3)
earn = st.tuples(st.just("earn"), card_index, prices, st.integers(0, 1))
redeem = st.tuples(st.just("redeem"), card_index, st.integers(1, 300), prices)
steps = st.lists(
    st.one_of(
        earn,
        earn,
        redeem,
        redeem,
        st.tuples(st.just("refund"), st.integers(0, 60), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 60)),
        st.tuples(st.just("adjust"), card_index, st.integers(-200, 200).filter(bool)),
        st.tuples(st.just("drain"), card_index),
        st.tuples(st.just("replace"), card_index),
        st.tuples(st.just("advance"), st.integers(1, 45)),
        st.tuples(
            st.just("expire"),
        ),
    ),
    min_size=6,
    max_size=40,
)


class PointsInvariants(TestCase):
    def world(self) -> None:
        self.day = START
        s1, s2 = f.store("S01"), f.store("S02")
        self.cashiers = [f.actor(Role.STORE_CASHIER, s1), f.actor(Role.STORE_CASHIER, s2)]
        self.managers = {s.pk: f.actor(Role.STORE_MANAGER, s) for s in (s1, s2)}
        self.finance = f.actor(Role.HQ_FINANCE)
        common = {
            "conversion_points": 10,
            "conversion_value_minor": 7,
            "points_expiry": "months",
            "points_validity_months": 1,
        }
        strict = points_product(common, points_per_unit=2, bonus_rules=[[10_000, 1_000]])
        lenient = points_product({**common, "points_may_go_negative": True})
        with on_day(self.day):
            self.cards = [
                f.sold_card(self.cashiers[i % 2], (strict, lenient)[i % 2], 30_000)
                for i in range(4)
            ]
            for i, card in enumerate(self.cards):  # every card starts with a lot of points
                purchase(
                    actor=self.cashiers[i % 2],
                    card_number=card.number,
                    amount_minor=15_000,
                    idempotency_key=f.key(),
                )
        self.spares = [f.stock_card(card.product, s1) for card in self.cards]

    def run_step(self, step: tuple) -> None:
        name, *args = step
        ops = list(Operation.objects.order_by("pk"))
        purchases = [op for op in ops if op.kind == OperationKind.PURCHASE]
        if name in ("earn", "redeem"):
            card = self.cards[args[0]]
            purchase(
                actor=self.cashiers[args[2] if name == "earn" else 0],
                card_number=card.number,
                amount_minor=args[1] if name == "earn" else args[2],
                redeem_points=args[1] if name == "redeem" else 0,
                allow_split=True,
                other_tender="cash",
                idempotency_key=f.key(),
            )
        elif name == "refund" and purchases:
            original = purchases[args[0] % len(purchases)]
            refund(
                actor=self.managers[original.location_id],
                operation_id=original.pk,
                amount_minor=args[1],
                idempotency_key=f.key(),
            )
        elif name == "reverse":  # only the open day's operations can be reversed
            todays = [op for op in ops if op.business_date == self.day] or ops
            original = todays[args[0] % len(todays)]
            manager = self.managers.get(original.location_id, self.finance)
            reverse(actor=manager, operation_id=original.pk, idempotency_key=f.key())
        elif name == "adjust":
            adjust(
                actor=self.finance,
                card_number=self.cards[args[0]].number,
                bucket="points",
                delta=args[1],
                reason="property test",
                idempotency_key=f.key(),
            )
        elif name == "drain":  # every point on the card spent (a gift, say)
            card = self.cards[args[0]]
            held = Account.objects.get(card=card, kind=AccountKind.CARD_POINTS).balance
            adjust(
                actor=self.finance,
                card_number=card.number,
                bucket="points",
                delta=-held,
                reason="property test: points spent",
                idempotency_key=f.key(),
            )
        elif name == "replace":
            new = self.spares[args[0]]
            if new is None:
                return
            replace_card(
                actor=self.cashiers[0],
                old_number=self.cards[args[0]].number,
                new_number=new.number,
                idempotency_key=f.key(),
            )
            self.cards[args[0]], self.spares[args[0]] = new, None
        elif name == "expire":
            expire_points(actor=system_actor(), on=self.day)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps)
    # Found by this test: points given back by a refund after the card was replaced went to
    # a lot left empty on the old card (no continuation), so the new card's lots fell short.
    @example(
        [
            ("refund", 0, 1),
            ("redeem", 2, 94, 13987),
            ("refund", 21, 1218),
            ("reverse", 50),
            ("replace", 2),
            ("refund", 39, 150),
        ]
    )
    def test_any_sequence_keeps_points_and_lots_in_step(self, sequence):
        self.world()
        for step in sequence:
            if step[0] == "advance":
                self.day += dt.timedelta(days=step[1])
                continue
            with on_day(self.day), contextlib.suppress(DomainError):
                self.run_step(step)

        assert verify_ledger().problems == []
        assert verify_points().problems == []
        for account in Account.objects.filter(kind=AccountKind.CARD_POINTS):
            live = PointsLot.objects.filter(card_id=account.card_id).aggregate(t=Sum("remaining"))
            assert (live["t"] or 0) == account.balance
        assert not PointsLot.objects.filter(remaining__lt=0).exists()
        assert not CardStanding.objects.filter(points_owed__lt=0).exists()
        for original in Operation.objects.filter(kind=OperationKind.PURCHASE):
            live = original.refunds.filter(reversed_by__isnull=True)
            settled = sum(
                r.details["points_taken_back"] + r.details["points_shortfall"] for r in live
            )
            assert settled <= original.details["points_earned"]
            returned = sum(r.details.get("points_returned", 0) for r in live)
            assert returned <= original.details.get("points_redeemed", 0)
