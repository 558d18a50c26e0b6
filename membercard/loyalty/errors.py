"""Loyalty's domain errors. Codes are part of the API contract: never change one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from membercard.core.errors import DomainError


class PrepaidLimitExceeded(DomainError):
    """The card would carry more value than the installation's prepaid limit allows.

    Extra data: ``limit_minor`` (the limit that applies), ``headroom_minor`` (how much
    more value the card may take now), ``registered`` (which limit applied).
    """

    code = "prepaid_limit_exceeded"
    status = 422
    default_message = _("The card would carry more than its prepaid limit.")


class MemberRequired(DomainError):
    code = "member_required"
    status = 422
    default_message = _("This card is sold only to a registered member.")


class MemberExists(DomainError):
    code = "member_exists"
    status = 409
    default_message = _("A member with this mobile number is already registered.")


class PointsNotConvertible(DomainError):
    code = "points_not_convertible"
    status = 422
    default_message = _("Points cannot pay for purchases with this card.")


class PointsOwed(DomainError):
    """The card owes points (a refund took back more than it held): none can be spent."""

    code = "points_owed"
    status = 422
    default_message = _("The card owes points from a refund: none can be spent until repaid.")


class GiftNotFound(DomainError):
    code = "gift_not_found"
    status = 404
    default_message = _("No gift with that code.")


class GiftNotAvailable(DomainError):
    """The gift is withdrawn, or today is outside its dates. Extra data: ``gift``."""

    code = "gift_not_available"
    status = 422
    default_message = _("This gift is not offered today.")


class GiftOutOfStock(DomainError):
    """Too few pieces at the location. Extra data: ``gift``, ``location``, ``available``,
    ``needed``."""

    code = "gift_out_of_stock"
    status = 422
    default_message = _("Not enough of this gift in stock here.")
