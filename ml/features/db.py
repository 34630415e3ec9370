"""Warehouse reads and idempotent score writes shared by the scoring pipelines (psycopg 3, no SQLAlchemy)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

DEFAULT_SCHEMA = "ml"
BUSINESS_TIMEZONE = "Asia/Kolkata"  # dbt's var business_timezone: dates are business days in India

Connectable = str | psycopg.Connection


@contextlib.contextmanager
def connection(conn_or_url: Connectable) -> Iterator[psycopg.Connection]:
    """A caller's connection as is (left open), or a new one for a URL (closed afterwards)."""
    if isinstance(conn_or_url, psycopg.Connection):
        yield conn_or_url
        return
    with psycopg.connect(conn_or_url) as conn:
        yield conn


def read_frame(conn_or_url: Connectable, query: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    with connection(conn_or_url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return pd.DataFrame(cur.fetchall(), columns=[column.name for column in cur.description])


def data_as_of(conn_or_url: Connectable) -> dt.date:
    """The data's own "today" (`marts.int_kpi__as_of`), so reruns on the same data give the same answers."""
    with connection(conn_or_url) as conn:
        row = conn.execute("select as_of_date from marts.int_kpi__as_of").fetchone()
    if row is None:
        raise LookupError("marts.int_kpi__as_of is empty: build the marts first")
    return row[0]


def write_scores(url: str, frame: pd.DataFrame, *, table: str, columns: Mapping[str, str],
                 key: Sequence[str], replace_on: str, schema: str = DEFAULT_SCHEMA) -> int:
    """Replace the rows of `schema.table` for every `replace_on` value in `frame` with `frame`, in one transaction,
    so a rerun of a day overwrites that day instead of duplicating it. Creates the schema and table (`columns`:
    name -> SQL type, primary key `key`) on first use; writers of the table are serialised. Returns rows written."""
    target = sql.Identifier(schema, table)
    names = [name for name in columns if name in frame.columns]  # the others have defaults
    definitions = (sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns.items())
    ddl = sql.SQL("create table if not exists {} ({}, primary key ({}))").format(
        target, sql.SQL(", ").join(definitions), sql.SQL(", ").join(map(sql.Identifier, key)))
    replaced = sorted(set(frame[replace_on]))
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.{table}",))  # DDL races otherwise
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(ddl)
        conn.execute(sql.SQL("delete from {} where {} = any(%s)").format(target, sql.Identifier(replace_on)),
                     (replaced,))
        copy_sql = sql.SQL("copy {} ({}) from stdin").format(target, sql.SQL(", ").join(map(sql.Identifier, names)))
        with conn.cursor().copy(copy_sql) as copy:
            for row in frame[names].itertuples(index=False, name=None):
                copy.write_row([None if _missing(value) else value for value in row])
    return len(frame)


def _missing(value: Any) -> bool:
    return not isinstance(value, list | tuple) and pd.isna(value)
