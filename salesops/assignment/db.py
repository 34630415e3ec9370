"""Connection plumbing shared by the engine and caller management: migrate once per connection, run a unit of
work as its own transaction, and retry it when PostgreSQL reports a lost race."""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg import pq

from salesops.ops_schema import migrate_ops

T = TypeVar("T")
RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
_migrated: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()


def require_idle(conn: psycopg.Connection) -> None:
    """Refuse a connection inside an open transaction rather than silently nesting in it: the engine commits
    every lead on its own so that no transaction ever holds one lead's locks while waiting for another's."""
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise RuntimeError("lead assignment commits each unit itself: call it outside an open transaction")


def ensure_schema(conn: psycopg.Connection) -> None:
    """`migrate_ops` on first use of a connection (it costs a few round trips, too many for every lead)."""
    require_idle(conn)
    if conn not in _migrated:
        migrate_ops(conn)
        _migrated.add(conn)


def atomic(conn: psycopg.Connection, work: Callable[[], T], *, attempts: int = 8,
           single_statement: bool = False) -> tuple[T, int]:
    """Run `work` as one transaction and return (its result, retries needed).

    With an autocommit connection a single statement is its own transaction (one round trip, no BEGIN/COMMIT).
    Serialization failures and deadlocks roll the whole unit back and run it again after a short random pause.
    """
    require_idle(conn)
    for attempt in range(attempts):
        try:
            if single_statement and conn.autocommit:
                return work(), attempt
            with conn.transaction():
                return work(), attempt
        except RETRYABLE:
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
    raise AssertionError("unreachable")
