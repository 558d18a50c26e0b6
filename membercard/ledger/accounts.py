"""Finding (and opening) accounts. Card accounts open when a card is first sold."""

from __future__ import annotations

from dataclasses import dataclass

from membercard.cards.models import Card
from membercard.core.models import Location, LocationKind
from membercard.ledger.models import CARD_ACCOUNT_KINDS, Account, AccountKind, Tender, unit_of

_AT_HQ = frozenset(
    {
        AccountKind.PROMOTIONS,
        AccountKind.ADJUSTMENTS,
        AccountKind.BREAKAGE,
        AccountKind.POINTS_ISSUED,
        AccountKind.POINTS_EXPIRED,
        AccountKind.POINTS_ADJUSTMENTS,
    }
)


@dataclass
class CardAccounts:
    principal: Account
    bonus: Account
    points: Account

    @property
    def value(self) -> int:
        return self.principal.balance + self.bonus.balance

    def by_kind(self, kind: AccountKind) -> Account:
        return {
            AccountKind.CARD_PRINCIPAL: self.principal,
            AccountKind.CARD_BONUS: self.bonus,
            AccountKind.CARD_POINTS: self.points,
        }[kind]


def card_accounts(card: Card) -> CardAccounts:
    """The card's three accounts, opened if missing. Call with the card row locked."""
    found = {a.kind: a for a in Account.objects.filter(card=card)}
    for kind in CARD_ACCOUNT_KINDS:
        if kind not in found:
            found[kind] = Account.objects.create(
                code=f"{kind}:{card.pk}", kind=kind, unit=unit_of(kind), card=card
            )
    return CardAccounts(
        principal=found[AccountKind.CARD_PRINCIPAL],
        bonus=found[AccountKind.CARD_BONUS],
        points=found[AccountKind.CARD_POINTS],
    )


def hq() -> Location:
    return Location.objects.get(kind=LocationKind.HQ)


def house_account(
    kind: AccountKind, *, location: Location | None = None, tender: Tender | str = ""
) -> Account:
    """A house account; HQ-level kinds ignore ``location`` and sit at HQ."""
    if kind in CARD_ACCOUNT_KINDS:
        raise ValueError("Card accounts are opened with card_accounts().")
    if kind in _AT_HQ or location is None:
        location = hq()
    if (kind == AccountKind.TENDER) != bool(tender):
        raise ValueError("A tender account names its tender; no other house account does.")
    code = f"{kind}:{location.code}" + (f":{tender}" if tender else "")
    account, _ = Account.objects.get_or_create(
        code=code,
        defaults={"kind": kind, "unit": unit_of(kind), "location": location, "tender": tender},
    )
    return account
