"""Reads for the HQ back office: the member list.

Read-only. Listing several members is a bulk read of member data and is recorded with the
loyalty audit helper (``log_access``), like ``selectors.search_members``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from membercard.core.actors import Actor
from membercard.core.permissions import Action, require
from membercard.loyalty.audit import log_access
from membercard.loyalty.models import Member


def members_for_hq(actor: Actor) -> QuerySet[Member]:
    """Every member, for HQ's member list (HQ staff who may look members up)."""
    require(actor, Action.LIST_MEMBERS, _("list members"))
    return Member.objects.select_related("registered_at")


def record_member_listing(
    actor: Actor, *, count: int, query: str, page: int, address: str = ""
) -> None:
    """A page listing several members is a bulk read: audited (never the search text
    itself, which may be a mobile number)."""
    if count > 1:
        log_access(
            actor,
            "member.list",
            count=count,
            data={"searched": bool(query), "page": page},
            address=address,
        )
