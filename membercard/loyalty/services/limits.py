"""Prepaid limits (the most value a card may carry) and who a card may be sold to.

Every path that puts value (principal or bonus) on a card checks it here, through
``check_prepaid_limit``: a sale, a top-up, an adjustment, a replacement (the new card
receives the old card's value). That function is the one place the rule is decided, so an
approved override (four eyes) will plug in there, for every path at once.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from membercard.cards.models import Card, CardProduct
from membercard.core.actors import Actor
from membercard.core.errors import ValidationFailed
from membercard.core.money import check_amount, format_minor
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.loyalty.errors import MemberRequired, PrepaidLimitExceeded
from membercard.loyalty.models import Member, PrepaidLimits
from membercard.loyalty.policies import policy_for


def current_limits() -> PrepaidLimits:
    """The limits in force: the newest row, or the defaults (unsaved) when none was set."""
    return PrepaidLimits.objects.order_by("-pk").first() or PrepaidLimits()


@business_operation
def set_prepaid_limits(
    *, actor: Actor, anonymous_limit_minor: int, registered_limit_minor: int, reason: str
) -> PrepaidLimits:
    """HQ admin or finance sets both limits; the change is kept as a new row (who, why)."""
    require(actor, Action.SET_PREPAID_LIMITS, _("change prepaid limits"))
    check_amount(anonymous_limit_minor, allow_zero=True, field="anonymous limit")
    check_amount(registered_limit_minor, allow_zero=True, field="registered limit")
    if anonymous_limit_minor > registered_limit_minor:
        raise ValidationFailed(
            _("An anonymous card may not carry more than a registered one."),
            field="anonymous_limit_minor",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the limits change."), field="reason")
    return PrepaidLimits.objects.create(
        anonymous_limit_minor=anonymous_limit_minor,
        registered_limit_minor=registered_limit_minor,
        reason=reason,
        changed_by=actor.staff,
    )


def check_prepaid_limit(*, registered: bool, value_minor: int, adding_minor: int) -> None:
    """Refuse when a card holding ``value_minor`` (principal + bonus) would carry more than
    its limit after ``adding_minor`` more (value and bonus of a sale or top-up, an
    adjustment, the value a replacement card receives). Adding nothing is never refused, so a
    card over a limit lowered since it was filled may still be corrected down."""
    if adding_minor <= 0:
        return
    limits = current_limits()
    limit = limits.registered_limit_minor if registered else limits.anonymous_limit_minor
    if value_minor + adding_minor <= limit:
        return
    headroom = max(limit - value_minor, 0)
    if registered:
        message = _(
            "A registered card may carry at most %(limit)s; "
            "this one can take %(headroom)s more (bonus included)."
        )
    else:
        message = _(
            "An anonymous card may carry at most %(limit)s; "
            "this one can take %(headroom)s more (bonus included)."
        )
    raise PrepaidLimitExceeded(
        message % {"limit": format_minor(limit), "headroom": format_minor(headroom)},
        limit_minor=limit,
        headroom_minor=headroom,
        registered=registered,
    )


def check_sale(*, product: CardProduct, member: Member | None, value_minor: int) -> None:
    """A sale: the product may need a member; the first value (bonus included) fits."""
    if member is None and policy_for(product).requires_member:
        raise MemberRequired(
            _("%(product)s is sold only to a registered member.") % {"product": product.name}
        )
    if product.has_stored_value:
        check_prepaid_limit(registered=member is not None, value_minor=0, adding_minor=value_minor)


def check_top_up(*, card: Card, value_minor: int, adding_minor: int) -> None:
    check_prepaid_limit(
        registered=card.member_id is not None, value_minor=value_minor, adding_minor=adding_minor
    )


def check_adjustment(*, card: Card, value_minor: int, delta_minor: int) -> None:
    """An adjustment of the card's value (principal or bonus) by ``delta_minor``: value
    added must fit the card's limit (registered or anonymous, as the card is) like a top-up;
    value taken away is never refused."""
    check_prepaid_limit(
        registered=card.member_id is not None, value_minor=value_minor, adding_minor=delta_minor
    )


def check_replacement(*, member_id: int | None, value_minor: int, carried_minor: int) -> None:
    """A replacement card holding ``value_minor`` receives ``carried_minor`` (the old card's
    principal + bonus): it must fit the new card's limit, which is the registered one when
    a member is carried over to it (``member_id``)."""
    check_prepaid_limit(
        registered=member_id is not None, value_minor=value_minor, adding_minor=carried_minor
    )
