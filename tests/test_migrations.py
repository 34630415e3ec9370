"""Project-owned schema migrations: versioned, idempotent, safe when many processes start at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from salesops.migrations import Migration, apply_migrations

MIGRATIONS = [
    Migration(1, "create things", "CREATE TABLE demo_schema.things (id int PRIMARY KEY)"),
    Migration(2, "add a name", "ALTER TABLE demo_schema.things ADD COLUMN name text"),
]


def test_applies_once_and_is_idempotent(warehouse_db):
    with psycopg.connect(warehouse_db) as conn:
        assert apply_migrations(conn, "demo_schema", MIGRATIONS) == [1, 2]
        assert apply_migrations(conn, "demo_schema", MIGRATIONS) == []
        extended = [*MIGRATIONS, Migration(3, "index", "CREATE INDEX ON demo_schema.things (name)")]
        assert apply_migrations(conn, "demo_schema", extended) == [3]


def test_concurrent_first_use_migrates_exactly_once(warehouse_db):
    def migrate(_: int) -> list[int]:
        with psycopg.connect(warehouse_db) as conn:
            return apply_migrations(conn, "demo_schema", MIGRATIONS)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(migrate, range(8)))
    assert sorted(map(tuple, results)) == [()] * 7 + [(1, 2)]


def test_a_failing_migration_leaves_nothing_behind(warehouse_db):
    broken = [MIGRATIONS[0], Migration(2, "broken", "ALTER TABLE demo_schema.missing ADD COLUMN x int")]
    with psycopg.connect(warehouse_db) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            apply_migrations(conn, "demo_schema", broken)
        conn.rollback()
        assert conn.execute("SELECT to_regclass('demo_schema.things')").fetchone()[0] is None
