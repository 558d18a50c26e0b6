"""Prepaid limits (the most value a card may carry) and who a card may be sold to.

Every path that puts value (principal or bonus) on a card checks it here, through
``check_prepaid_limit``: a sale, a top-up, an adjustment, a replacement (the new card
receives the old card's value). That function is the one place the rule is decided, so an
approved override (four eyes) will plug in there, for every path at once.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def record_prepaid_limits(
    *, actor: Actor, anonymous_limit_minor: int, registered_limit_minor: int, reason: str
) -> PrepaidLimits:
    """HQ admin or finance sets both limits; the change is kept as a new row (who, why).
    At the faces a change is an approval request (``approvals.settings_changes``), which
    runs this inside the approval's transaction, as the person who asked for it."""
    check_prepaid_limits(
        actor=actor,
        anonymous_limit_minor=anonymous_limit_minor,
        registered_limit_minor=registered_limit_minor,
        reason=reason,
    )
    return PrepaidLimits.objects.create(
        anonymous_limit_minor=anonymous_limit_minor,
        registered_limit_minor=registered_limit_minor,
        reason=reason.strip(),
        changed_by=actor.staff,
    )


set_prepaid_limits = business_operation(record_prepaid_limits)  # in its own transaction


def check_prepaid_limits(
    *, actor: Actor, anonymous_limit_minor: int, registered_limit_minor: int, reason: str
) -> None:
    """Refuse limits that may not be set (by ``actor``): what a request checks when filed."""
    require(actor, Action.SET_PREPAID_LIMITS, _("change prepaid limits"))
    check_amount(anonymous_limit_minor, allow_zero=True, field="anonymous limit")
    check_amount(registered_limit_minor, allow_zero=True, field="registered limit")
    if anonymous_limit_minor > registered_limit_minor:
        raise ValidationFailed(
            _("An anonymous card may not carry more than a registered one."),
            field="anonymous_limit_minor",
        )
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the limits change."), field="reason")


@dataclass(frozen=True)
class LimitOverride:
    """An explicitly approved exception to the prepaid limit (four eyes: an approval request
    of a replacement over the limit, ``approvals.replacements``): the card may carry up to
    ``up_to_minor`` for this one operation. ``request_id`` is the approval request's number
    (``None`` while the request is rehearsed, before it is filed). The operation keeps it in
    its details (``details()``), and the reports list it."""

    request_id: int | None
    up_to_minor: int

    def details(self) -> dict[str, object]:
        return {"limit_override": {"request": self.request_id, "up_to_minor": self.up_to_minor}}


def check_prepaid_limit(
    *,
    registered: bool,
    value_minor: int,
    adding_minor: int,
    override: LimitOverride | None = None,
) -> None:
    """Refuse when a card holding ``value_minor`` (principal + bonus) would carry more than
    its limit after ``adding_minor`` more (value and bonus of a sale or top-up, an
    adjustment, the value a replacement card receives). Adding nothing is never refused, so a
    card over a limit lowered since it was filled may still be corrected down. An approved
    ``override`` lets the card carry up to what was approved, never more."""
    if adding_minor <= 0:
        return
    limits = current_limits()
    limit = limits.registered_limit_minor if registered else limits.anonymous_limit_minor
    if value_minor + adding_minor <= limit:
        return
    if override is not None and value_minor + adding_minor <= override.up_to_minor:
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


def check_replacement(
    *,
    member_id: int | None,
    value_minor: int,
    carried_minor: int,
    override: LimitOverride | None = None,
) -> None:
    """A replacement card holding ``value_minor`` receives ``carried_minor`` (the old card's
    principal + bonus): it must fit the new card's limit, which is the registered one when
    a member is carried over to it (``member_id``), or an approved ``override``."""
    check_prepaid_limit(
        registered=member_id is not None,
        value_minor=value_minor,
        adding_minor=carried_minor,
        override=override,
    )
