"""Versioned, idempotent schema migrations for the schemas the project owns (e.g. `ops`).

Each schema keeps the versions it has applied in `<schema>.schema_migrations`. Applying takes a
transaction-scoped advisory lock per schema, so many processes starting at once (CLI commands,
Dagster runs, concurrent writers) migrate exactly once and everyone else waits, then finds nothing
to do. Migrations are never edited once released: add a new version instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: str


def apply_migrations(conn, schema: str, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations of `schema` not applied yet, in version order; return the versions applied."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migrations of {schema} must have unique, increasing versions: {versions}")
    applied_now: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(f"salesops-migrate:{schema}".encode()),))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "schema_migrations")
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, description text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())").format(table))
        done = {row[0] for row in conn.execute(sql.SQL("SELECT version FROM {}").format(table))}
        for migration in migrations:
            if migration.version in done:
                continue
            conn.execute(migration.statements)
            conn.execute(sql.SQL("INSERT INTO {} (version, description) VALUES (%s, %s)").format(table),
                         (migration.version, migration.description))
            applied_now.append(migration.version)
    return applied_now
