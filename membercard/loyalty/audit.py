"""The member-data audit: one row per member write and per bulk read (a list of several
members, an export, a report naming members)."""

from __future__ import annotations

from typing import Any

from membercard.core.actors import Actor
from membercard.core.audit import record_member_access
from membercard.loyalty.models import Member, MemberAccessLog


def log_access(
    actor: Actor,
    action: str,
    *,
    count: int,
    member: Member | None = None,
    data: dict[str, Any] | None = None,
    address: str = "",
) -> MemberAccessLog:
    if member is None:  # a bulk read or an export: into the staff audit log too
        record_member_access(actor, action, count=count, data=data, address=address)
    return MemberAccessLog.objects.create(
        action=action,
        staff=actor.staff,
        terminal=actor.terminal,
        role=str(actor.role),
        location=actor.location,
        address=address[:64],
        count=count,
        member=member,
        data=data or {},
    )
