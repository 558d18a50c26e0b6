"""Who is acting: a staff member or a POS terminal, always at one location with one role.

Services take an ``Actor`` rather than a request, so the web pages, the API and
the CLI pass the same thing and a rule is checked once (``core/permissions.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from membercard.core.errors import NotPermitted
from membercard.core.models import (
    Location,
    LocationKind,
    Role,
    Staff,
    Terminal,
    role_location_problem,
)


@dataclass(frozen=True)
class Actor:
    location: Location
    role: Role
    staff: Staff | None = None
    terminal: Terminal | None = None

    @classmethod
    def for_staff(cls, staff: Staff) -> Actor:
        if not staff.is_active or not staff.role or staff.location_id is None:
            raise NotPermitted(_("This account has no role at a location."))
        problem = role_location_problem(staff.role, staff.location)
        if problem:
            raise NotPermitted(problem)
        return cls(location=staff.location, role=Role(staff.role), staff=staff)

    @classmethod
    def for_terminal(cls, terminal: Terminal) -> Actor:
        if terminal.revoked_at is not None:
            raise NotPermitted(_("This terminal key has been revoked."))
        return cls(location=terminal.location, role=Role.STORE_CASHIER, terminal=terminal)

    @property
    def at_hq(self) -> bool:
        return self.location.is_hq

    @property
    def idempotency_scope(self) -> str:
        """Idempotency keys are unique per terminal or per staff member."""
        if self.terminal is not None:
            return f"terminal:{self.terminal.pk}"
        if self.staff is not None:
            return f"staff:{self.staff.pk}"
        return "system"

    @property
    def label(self) -> str:
        if self.terminal is not None:
            return f"terminal {self.terminal}"
        return f"{self.staff} ({self.role.label}, {self.location.code})"


def system_actor() -> Actor:
    """Who scheduled jobs act as: HQ, with no staff member or terminal."""
    return Actor(location=Location.objects.get(kind=LocationKind.HQ), role=Role.HQ_ADMIN)
