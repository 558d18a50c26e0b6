"""The audit log's model moved down to ``membercard.core.models`` (so services and every
face can write it inside the action's transaction); the table keeps its ``ops_auditevent``
name. Kept here for the code above core that reads it."""

from __future__ import annotations

from membercard.core.models import AuditEvent, AuditKind

__all__ = ["AuditEvent", "AuditKind"]
