"""Money and rounding rules, written down once.

Money is always an ``int`` count of minor units (fen, cents) of the one
installation currency. Every rounding in the product goes through a function
here, so the rule is stated and tested in one place:

* Discounts round **down** to the minor unit: the customer never gets more
  discount than the rate gives (a 9.5 % discount on 1.99 is 0.18, not 0.19).
* Points round **down** to a whole point, once, after every multiplier (tier,
  campaign) is applied: ``points_earned``.
* Points paying for a purchase (a product's conversion rule, e.g. 100 points =
  1.00): their value rounds **down** to the minor unit (``points_value_minor``), and
  the points charged for that value round **up** (``points_for_value``), so the
  customer is never charged a point more than the value they get, and never gets
  value for a fraction of a point.
* Pro-rata splits (a partial refund over principal, bonus and tender; the points
  it takes back or gives back) round down on the running total (``pro_rata``), so
  the parts of several partial refunds always add up to exactly the whole.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from membercard.core.errors import InvalidAmount

# How a refusal names the amount fields of the services; any other name (a tender code) is
# shown as given.
_FIELD_NAMES = {
    "amount": pgettext_lazy("amount field", "amount"),
    "initial value": pgettext_lazy("amount field", "initial value"),
    "anonymous limit": pgettext_lazy("amount field", "anonymous limit"),
    "registered limit": pgettext_lazy("amount field", "registered limit"),
    "adjustment": pgettext_lazy("amount field", "adjustment"),
}

# One business operation may move at most 10 million major units (1e9 minor);
# anything larger is a typo or an attack, and keeps far from 64-bit limits.
MAX_AMOUNT_MINOR = 1_000_000_000

BASIS_POINTS = 10_000


def currency() -> str:
    return settings.MEMBERCARD_CURRENCY


def minor_digits() -> int:
    return settings.MEMBERCARD_CURRENCY_DIGITS


def check_amount(amount_minor: object, *, allow_zero: bool = False, field: str = "amount") -> int:
    """Return the amount if it is a sane positive integer of minor units, else refuse."""
    name = {"field": _FIELD_NAMES.get(field, field)}
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidAmount(
            _("The %(field)s must be a whole number of minor units.") % name, field=field
        )
    if amount_minor < 0 or (amount_minor == 0 and not allow_zero):
        raise InvalidAmount(_("The %(field)s must be more than zero.") % name, field=field)
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidAmount(
            _("The %(field)s is larger than any single operation may be.") % name, field=field
        )
    return amount_minor


def discount_of(gross_minor: int, rate_bp: int) -> int:
    """The discount on ``gross_minor`` at ``rate_bp`` basis points, rounded down."""
    return gross_minor * rate_bp // BASIS_POINTS


def points_earned(base_minor: int, points_per_unit: int, *multipliers_pct: int) -> int:
    """Points on ``base_minor``: ``points_per_unit`` per major unit, times each multiplier
    (percent: 150 = one and a half), rounded down once at the end.

    Rounding once keeps 1.5x tier and 2x campaign exactly 3x: 10.99 at 1 point per unit
    earns 32 (32.97), not 2 * floor(1.5 * 10) = 30.
    """
    numerator = base_minor * points_per_unit
    denominator = 10 ** minor_digits()
    for pct in multipliers_pct:
        numerator *= pct
        denominator *= 100
    return numerator // denominator


def points_value_minor(points: int, conversion_points: int, conversion_value_minor: int) -> int:
    """What ``points`` are worth off a purchase under a conversion rule
    (``conversion_points`` points = ``conversion_value_minor``), rounded down.

    Accounting: the value is a discount, not a payment. The purchase's gross minus its
    discount (rate discount + points value) is its net; the points leave the card for the
    store's ``points_redeemed`` account in the points unit, and no money moves for them
    (the store simply takes less). The operation's ``details`` keep ``points_redeemed``
    and ``points_off_minor`` apart from the rate discount.
    """
    return points * conversion_value_minor // conversion_points


def points_for_value(value_minor: int, conversion_points: int, conversion_value_minor: int) -> int:
    """The fewest points worth at least ``value_minor`` under the conversion rule (rounded up)."""
    return -(-value_minor * conversion_points // conversion_value_minor)


def pro_rata(total: int, part_of: int, whole: int) -> int:
    """``total * part_of / whole`` rounded down; 0 when ``whole`` is 0 (nothing to share)."""
    if whole <= 0:
        return 0
    return total * part_of // whole


def format_minor(amount_minor: int, *, with_currency: bool = True) -> str:
    """Format for people: ``12345`` -> ``'123.45 CNY'`` (``'123.45'`` without the currency,
    for columns of a table that names it once)."""
    digits = minor_digits()
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**digits)
    body = f"{sign}{major:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{body} {currency()}" if with_currency else body
