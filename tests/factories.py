"""Plain factory functions for tests: locations, staff, products, cards in stock, sold cards."""

from __future__ import annotations

import itertools
import uuid

from django.contrib.auth.signals import user_logged_in
from django_otp import DEVICE_ID_SESSION_KEY

from membercard.cards import numbers
from membercard.cards.models import Card, CardProduct
from membercard.core.actors import Actor
from membercard.core.models import Location, LocationKind, Role, Staff
from membercard.inventory import movements
from membercard.ledger.models import Account, AccountKind, Tender
from membercard.operations import sell_card

_prefixes = itertools.count(10)
_usernames = itertools.count(1)


def key() -> str:
    return uuid.uuid4().hex


def hq() -> Location:
    return Location.objects.get_or_create(
        code="HQ", defaults={"name": "Head office", "kind": LocationKind.HQ}
    )[0]


def store(code: str = "S01") -> Location:
    return Location.objects.get_or_create(
        code=code, defaults={"name": f"Store {code}", "kind": LocationKind.STORE}
    )[0]


def staff(
    role: Role,
    location: Location | None = None,
    password: str | None = None,
    *,
    second_factor: bool | None = None,
) -> Staff:
    """A staff member; without ``password`` none is set (argon2 hashing is slow on purpose).

    Roles that must sign in with a second factor get an enrolled authenticator (a confirmed
    TOTP device, ``second_factor=False`` for none). It rides on the object as ``otp_device``,
    the way django-otp's sign-in forms hand it over: Django's ``login`` (the test client's
    ``force_login`` too) then marks the session verified (``_second_factor_passed``), as if
    the code had been typed."""
    if location is None:
        location = hq() if role.startswith("hq_") else store()
    member = Staff.objects.create_user(
        username=f"user{next(_usernames)}", password=password, role=role, location=location
    )
    if second_factor if second_factor is not None else member.needs_second_factor:
        member.otp_device = authenticator(member)
    return member


def _second_factor_passed(sender, request, user, **kwargs) -> None:
    """What ``django_otp.login`` does to the session, for a staff object that carries the
    device enrolled above (django-otp's own receiver needs ``request.user``, which the test
    client's ``force_login`` request lacks). A user loaded by a sign-in form never carries
    one, so signing in through the pages still asks for the code."""
    device = getattr(user, "otp_device", None)
    if device is not None and device.user_id == user.pk:
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id


user_logged_in.connect(_second_factor_passed, dispatch_uid="tests-factories-second-factor")


def authenticator(member: Staff):
    """A confirmed TOTP device (authenticator app) for ``member``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=member, name="test phone", confirmed=True)


def totp_code(device) -> str:
    """The code the authenticator app shows now (the next one if now's was used: django-otp
    refuses a code twice, and accepts one step ahead)."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def actor(role: Role = Role.STORE_CASHIER, location: Location | None = None) -> Actor:
    hq()  # house accounts at HQ need it
    return Actor.for_staff(staff(role, location))


def product(**overrides) -> CardProduct:
    fields = {
        "code": f"p{next(_prefixes)}",
        "name": "Value card",
        "has_stored_value": True,
        "rechargeable": True,
        "number_length": 16,
    }
    fields.update(overrides)
    fields.setdefault("number_prefix", f"88{next(_prefixes):02d}")
    item = CardProduct(**fields)
    item.full_clean()
    item.save()
    return item


def stock_card(product_: CardProduct, location: Location) -> Card:
    """A card in stock at ``location`` (registered directly, as if a batch had arrived there)."""
    card = Card.objects.create(
        number=numbers.generate_number(product_.number_prefix, product_.number_length),
        product=product_,
        location=location,
    )
    movements.record_new_cards([card], event="card.registered", by=None)
    return card


def sold_card(
    seller: Actor, product_: CardProduct | None = None, value_minor: int = 10_000, **sale
) -> Card:
    """A card sold by ``seller`` from its stock with ``value_minor`` on it."""
    card = stock_card(product_ or product(), seller.location)
    sell_card(
        actor=seller,
        card_number=card.number,
        initial_value_minor=value_minor,
        tender=sale.pop("tender", Tender.CASH),
        idempotency_key=key(),
        **sale,
    )
    card.refresh_from_db()
    return card


def balances(card: Card) -> tuple[int, int, int]:
    """(principal, bonus, points) of the card right now, 0 for an account not opened yet.

    Read-only: a card in stock has no accounts and is left without them (card_accounts()
    would open them, and expects the card row locked)."""
    rows = dict(Account.objects.filter(card=card).values_list("kind", "balance"))
    return (
        rows.get(AccountKind.CARD_PRINCIPAL, 0),
        rows.get(AccountKind.CARD_BONUS, 0),
        rows.get(AccountKind.CARD_POINTS, 0),
    )
