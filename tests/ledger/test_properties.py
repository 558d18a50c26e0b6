"""Property: any sequence of business operations keeps every ledger invariant.

Random sequences of sales, top-ups, purchases, refunds, reversals, adjustments,
freezes and replacements run through the real services; refusals are fine, but
afterwards ``verify`` is clean, no card account is negative, each unit sums to zero
over all accounts, and no purchase was refunded beyond its net amount.
"""

from __future__ import annotations

import contextlib

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from membercard.core.errors import DomainError
from membercard.core.models import Role
from membercard.ledger.models import Account, Operation, OperationKind, Transfer, Unit
from membercard.ledger.verify import verify_ledger
from membercard.operations import adjust, purchase, refund, reverse, top_up
from membercard.operations.card_life import freeze_card, replace_card, unfreeze_card
from tests import factories as f

amounts = st.integers(min_value=1, max_value=30_000)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(0, 3), amounts),
        st.tuples(st.just("purchase"), st.integers(0, 3), amounts, st.booleans(), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 50), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(
            st.just("adjust"),
            st.integers(0, 3),
            st.sampled_from(["principal", "bonus", "points"]),
            st.integers(-5_000, 5_000).filter(bool),
        ),
        st.tuples(st.just("freeze"), st.integers(0, 3)),
        st.tuples(st.just("unfreeze"), st.integers(0, 3)),
        st.tuples(st.just("replace"), st.integers(0, 3)),
    ),
    max_size=25,
)


class LedgerInvariants(TestCase):
    def world(self) -> None:
        self.s1, self.s2 = f.store("S01"), f.store("S02")
        self.cashiers = [f.actor(Role.STORE_CASHIER, self.s1), f.actor(Role.STORE_CASHIER, self.s2)]
        self.managers = {
            self.s1.pk: f.actor(Role.STORE_MANAGER, self.s1),
            self.s2.pk: f.actor(Role.STORE_MANAGER, self.s2),
        }
        self.finance = f.actor(Role.HQ_FINANCE)
        self.product = f.product(
            has_discount=True,
            discount_rate_bp=750,
            has_points=True,
            points_per_unit=2,
            bonus_rules=[[5_000, 500], [20_000, 3_000]],
            spend_order="principal_first",
        )
        self.cards = [
            f.sold_card(self.cashiers[i % 2], self.product, value_minor=10_000 * (i + 1))
            for i in range(4)
        ]
        self.spares = [f.stock_card(self.product, self.s1) for _ in range(4)]

    def run_step(self, step: tuple) -> None:
        name, *args = step
        card = self.cards[args[0] % 4] if name != "refund" and name != "reverse" else None
        ops = list(Operation.objects.order_by("pk"))
        if name == "top_up":
            top_up(
                actor=self.finance,
                card_number=card.number,
                amount_minor=args[1],
                tender="cash",
                idempotency_key=f.key(),
            )
        elif name == "purchase":
            purchase(
                actor=self.cashiers[args[2]],
                card_number=card.number,
                amount_minor=args[1],
                allow_split=args[3],
                other_tender="cash",
                idempotency_key=f.key(),
            )
        elif name == "refund":
            purchases = [op for op in ops if op.kind == OperationKind.PURCHASE]
            if purchases:
                original = purchases[args[0] % len(purchases)]
                refund(
                    actor=self.managers[original.location_id],
                    operation_id=original.pk,
                    amount_minor=args[1],
                    idempotency_key=f.key(),
                )
        elif name == "reverse":
            original = ops[args[0] % len(ops)]
            manager = self.managers.get(original.location_id, self.finance)
            reverse(actor=manager, operation_id=original.pk, idempotency_key=f.key())
        elif name == "adjust":
            adjust(
                actor=self.finance,
                card_number=card.number,
                bucket=args[1],
                delta=args[2],
                reason="property test",
                idempotency_key=f.key(),
            )
        elif name == "freeze":
            freeze_card(actor=self.cashiers[0], card_number=card.number)
        elif name == "unfreeze":
            unfreeze_card(actor=self.managers[self.s1.pk], card_number=card.number)
        elif name == "replace" and self.spares:
            new = self.spares.pop()
            replace_card(
                actor=self.cashiers[0],
                old_number=card.number,
                new_number=new.number,
                idempotency_key=f.key(),
            )
            self.cards[args[0] % 4] = new

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps)
    def test_any_sequence_keeps_the_ledger_sound(self, sequence):
        self.world()
        for step in sequence:
            # A refusal must leave everything as it was: checked below.
            with contextlib.suppress(DomainError):
                self.run_step(step)

        assert verify_ledger().problems == []
        assert not Account.objects.filter(card__isnull=False, balance__lt=0).exists()
        for unit in Unit.values:
            credits = Transfer.objects.filter(unit=unit).aggregate(t=Sum("amount"))["t"] or 0
            per_account = sum(
                (a.credits.aggregate(t=Sum("amount"))["t"] or 0)
                - (a.debits.aggregate(t=Sum("amount"))["t"] or 0)
                for a in Account.objects.filter(unit=unit)
            )
            assert per_account == 0, f"{unit} does not sum to zero ({credits} moved)"
        for original in Operation.objects.filter(kind=OperationKind.PURCHASE):
            refunded = (
                original.refunds.filter(reversed_by__isnull=True).aggregate(t=Sum("gross_minor"))[
                    "t"
                ]
                or 0
            )
            assert refunded <= original.net_minor
