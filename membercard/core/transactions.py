"""One database transaction per business operation, retried on PostgreSQL conflicts.

``@business_operation`` wraps a service: it opens a *durable* atomic block (so
nesting two business operations by accident fails loudly) and, when PostgreSQL
reports a deadlock or serialization failure, or a concurrent request claimed the
same idempotency key first, it rolls back and runs the whole operation again, a
bounded number of times. Nothing half-done survives a retry.

**Work inside the transaction, before commit.** A face (a page, an endpoint, a command)
can ask for something to be done inside the transaction of the business operations it is
about to call, after the service returned and before the commit, with
``inside_operations(callback)``: the audit row of the request, the answer a till will get.
The callback gets the service's result; if it raises, the operation rolls back, so an
operation never commits without its audit row, and a committed operation never lacks
its answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction

P = ParamSpec("P")
R = TypeVar("R")

MAX_ATTEMPTS = 8
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
IDEMPOTENCY_CONSTRAINT = "idempotency_key_per_scope"


def _retryable(exc: Exception) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    if sqlstate == "23505":  # unique_violation: retried only for a key claimed concurrently
        diag = getattr(cause, "diag", None)
        return getattr(diag, "constraint_name", None) == IDEMPOTENCY_CONSTRAINT
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


BeforeCommit = Callable[[Any], None]
_before_commit: contextvars.ContextVar[tuple[BeforeCommit, ...]] = contextvars.ContextVar(
    "before_commit", default=()
)
_after_commit: contextvars.ContextVar[tuple[BeforeCommit, ...]] = contextvars.ContextVar(
    "after_commit", default=()
)


class CommittedRefusal:
    """Base for the result of a business operation that commits only bookkeeping for a
    refusal the face raises afterwards (a wrong PIN counted, ``cards.pins``): a before-commit
    callback that does the action's own work (its audit row) leaves such a result alone."""


@contextlib.contextmanager
def inside_operations(callback: BeforeCommit) -> Iterator[None]:
    """Run ``callback(result)`` inside each business operation's transaction started in this
    block, just before it commits (see the module docstring)."""
    token = _before_commit.set((*_before_commit.get(), callback))
    try:
        yield
    finally:
        _before_commit.reset(token)


@contextlib.contextmanager
def after_operations(callback: BeforeCommit) -> Iterator[None]:
    """Run ``callback(result)`` after each business operation started in this block has
    committed (its durable block exited without error; in a test case, whose outer
    transaction never commits, when the block was released). Unlike
    ``transaction.on_commit`` it also runs inside a test's transaction. Keep it to
    bookkeeping that cannot fail: the operation is already committed."""
    token = _after_commit.set((*_after_commit.get(), callback))
    try:
        yield
    finally:
        _after_commit.reset(token)


def business_operation(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                with transaction.atomic(durable=True):
                    result = func(*args, **kwargs)
                    for callback in _before_commit.get():
                        callback(result)
            except (OperationalError, IntegrityError) as exc:
                # Inside an outer transaction (a test case) a retry cannot start afresh.
                if attempt >= MAX_ATTEMPTS or connection.in_atomic_block or not _retryable(exc):
                    raise
            else:
                for callback in _after_commit.get():
                    callback(result)
                return result
            # Jittered back-off so the retried transactions do not collide again.
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
            attempt += 1

    return run
