"""``Authorization: Bearer <terminal key>``: the request acts as a cashier at the key's store.

A missing, malformed, unknown or revoked key gets 401 ``not_authenticated`` (one answer
for all, so the answer does not tell which). The key's ``last_used_at`` is kept to the
minute without a write per request (``core.terminals.note_terminal_used``).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from membercard.core.actors import Actor
from membercard.core.terminals import authenticate_key, note_terminal_used


class TerminalKey(HttpBearer):
    """A POS terminal key, created with ``membercard terminal-key create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        terminal = authenticate_key(token.strip())
        if terminal is None:
            return None
        note_terminal_used(terminal)
        return Actor.for_terminal(terminal)


def actor_of(request: HttpRequest) -> Actor:
    return request.auth  # set by TerminalKey
