"""Recompute the ledger from its transfers and check every invariant and hash chain.

Each check yields plain-language problems naming what is wrong; an empty result
means the ledger is clean. ``membercard verify`` prints them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import F, Sum

from membercard.cards.models import GENESIS_HASH, Card
from membercard.ledger import chain
from membercard.ledger.models import Account, ChainLink, Operation, Transfer

CHUNK = 500


@dataclass
class Summary:
    name: str
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _sums(side: str) -> dict[int, int]:
    rows = Transfer.objects.values(side).annotate(total=Sum("amount"))
    return {row[side]: row["total"] for row in rows}


def check_balances(summary: Summary) -> None:
    """Every card account's running balance equals credits - debits, and is not negative;
    every transfer moves one unit; each unit sums to zero over all accounts."""
    credits, debits = _sums("credit_account"), _sums("debit_account")
    per_unit: dict[str, int] = defaultdict(int)
    checked = 0
    for account in Account.objects.only("pk", "code", "unit", "card_id", "balance").iterator():
        computed = credits.get(account.pk, 0) - debits.get(account.pk, 0)
        per_unit[account.unit] += computed
        if account.card_id is None:
            continue
        checked += 1
        if computed != account.balance:
            summary.problems.append(
                f"account {account.code}: stored balance {account.balance}, "
                f"but its transfers give {computed}"
            )
        if computed < 0:
            summary.problems.append(f"account {account.code}: negative balance {computed}")
    for unit, total in per_unit.items():
        if total != 0:
            summary.problems.append(f"unit {unit}: accounts sum to {total}, not zero")
    wrong_unit = Transfer.objects.exclude(debit_account__unit=F("unit")) | Transfer.objects.exclude(
        credit_account__unit=F("unit")
    )
    for transfer_id in wrong_unit.values_list("pk", flat=True)[:50]:
        summary.problems.append(f"transfer {transfer_id}: accounts are not of its unit")
    summary.checked["card accounts"] = checked
    summary.checked["transfers"] = Transfer.objects.count()


def _walk_card(
    card: Card,
    links: list[ChainLink],
    transfers: dict[int, list[Transfer]],
    own_accounts: set[int],
) -> Iterator[str]:
    prev = GENESIS_HASH
    running: dict[int, int] = defaultdict(int)
    for expected_seq, link in enumerate(links, start=1):
        op = link.operation
        where = f"card {card.number} link {link.seq} (operation {op.pk})"
        if link.seq != expected_seq:
            yield f"{where}: chain has a gap (expected link {expected_seq})"
            return
        if link.prev_hash != prev:
            yield f"{where}: previous hash does not match the chain"
            return
        op_transfers = transfers.get(op.pk, [])
        if chain.link_hash(prev, chain.digest(op, op_transfers)) != link.hash:
            yield f"{where}: operation or its transfers were changed after they were written"
            return
        for t in op_transfers:
            for account_id, delta, after in (
                (t.debit_account_id, -t.amount, t.debit_balance_after),
                (t.credit_account_id, t.amount, t.credit_balance_after),
            ):
                if account_id not in own_accounts:
                    continue
                running[account_id] += delta
                if running[account_id] != after:
                    yield f"{where}: balance after {after} does not follow from earlier transfers"
                    return
        prev = link.hash
    if prev != card.chain_head or len(links) != card.chain_length:
        yield f"card {card.number}: chain head does not match its last link"


def check_chains(summary: Summary) -> None:
    """Walk every card's hash chain, recomputing each operation's digest and balances after."""
    cards_seen = links_seen = 0
    card_ids = list(
        Card.objects.filter(chain_length__gt=0).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(card_ids), CHUNK):
        chunk = card_ids[start : start + CHUNK]
        cards = Card.objects.in_bulk(chunk)
        links: dict[int, list[ChainLink]] = defaultdict(list)
        for link in (
            ChainLink.objects.filter(card_id__in=chunk)
            .select_related("operation")
            .order_by("card_id", "seq")
        ):
            links[link.card_id].append(link)
        op_ids = {link.operation_id for group in links.values() for link in group}
        transfers: dict[int, list[Transfer]] = defaultdict(list)
        for t in Transfer.objects.filter(operation_id__in=op_ids).order_by("pk"):
            transfers[t.operation_id].append(t)
        own: dict[int, set[int]] = defaultdict(set)
        for account_id, card_id in Account.objects.filter(card_id__in=chunk).values_list(
            "pk", "card_id"
        ):
            own[card_id].add(account_id)
        for card_id in chunk:
            cards_seen += 1
            links_seen += len(links[card_id])
            summary.problems.extend(
                _walk_card(cards[card_id], links[card_id], transfers, own[card_id])
            )
    unchained = Operation.objects.exclude(chain_links__card_id=F("card_id"))
    for op_id in unchained.values_list("pk", flat=True)[:50]:
        summary.problems.append(f"operation {op_id}: not in its card's hash chain")
    summary.checked["cards with history"] = cards_seen
    summary.checked["chain links"] = links_seen
    summary.checked["operations"] = Operation.objects.count()


def verify_ledger() -> Summary:
    summary = Summary("ledger")
    check_balances(summary)
    check_chains(summary)
    return summary
