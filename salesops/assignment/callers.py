"""Caller management: create, edit, pause, delete, list, and bulk upserts from a CSV or the sheet's Callers tab.

Every change runs behind a routing barrier: its transaction first takes `LOCK TABLE ops.rr_pointer IN EXCLUSIVE
MODE`, which waits for the assignments in flight (each holds a pointer row) and holds new ones back until it
commits. So a pause, a lower cap or a removed state applies between two assignments, never in the middle of
one: once `set_status(..., "paused")` returns, the caller gets nothing new. Existing assignments are untouched.

CSV and sheet rows have the columns `name,role,languages,daily_limit,states,status`; lists are separated by
`;`, states may be names or codes (`MH`, `IN-MH`, `Orissa`) and are stored canonical, daily_limit 0 or blank
means unlimited, status is active (default), paused or inactive. Rows are matched to callers by name.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from ingestion.lead_rows import clean_text, header_key, split_list
from salesops.assignment.db import atomic, ensure_schema
from salesops.assignment.engine import DEFAULT_TIMEZONE
from salesops.geography import canonical_state

CALLER_FIELDS = ("name", "role", "languages", "daily_limit", "states", "status")
STATUSES = ("active", "paused", "inactive")
UNCHANGED: Any = object()
BARRIER_SQL = "lock table ops.rr_pointer in exclusive mode"


class CallerError(ValueError):
    """A caller record or change is invalid, or the caller does not exist."""


@dataclass(frozen=True)
class CallerSpec:
    """A caller as configured: states canonical and sorted, languages in the order given (no duplicates)."""

    name: str
    role: str | None = None
    languages: tuple[str, ...] = ()
    daily_limit: int = 0
    states: tuple[str, ...] = ()
    status: str = "active"


@dataclass
class CallerSyncSummary:
    """Outcome of a bulk upsert; `errors` are rows skipped (sheet sync) with why."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def caller_spec(record: Mapping[str, Any]) -> CallerSpec:
    """Parse and validate one caller record (any header spelling); CallerError lists every problem."""
    values = {header_key(key): value for key, value in record.items()}
    problems: list[str] = []
    name = clean_text(values.get("name"))
    if not name:
        problems.append("missing name")
    limit_text = clean_text(values.get("daily_limit")) or "0"
    daily_limit = int(limit_text) if limit_text.isdigit() else -1
    if daily_limit < 0:
        problems.append(f"daily_limit must be a whole number >= 0 (0 = unlimited), not {limit_text!r}")
    states = []
    for text in split_list(values.get("states")):
        state = canonical_state(text)
        if state is None:
            problems.append(f"unknown state {text!r}")
        elif state not in states:
            states.append(state)
    status = (clean_text(values.get("status")) or "active").lower()
    if status not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    languages: list[str] = []
    for language in split_list(values.get("languages")):
        if language.lower() not in (known.lower() for known in languages):
            languages.append(language)
    if problems:
        raise CallerError(f"caller {name or '?'}: " + "; ".join(problems))
    return CallerSpec(name, clean_text(values.get("role")) or None, tuple(languages), daily_limit,
                      tuple(sorted(states)), status)


def add_caller(conn: psycopg.Connection, spec: CallerSpec | Mapping[str, Any]) -> str:
    """Create a caller; returns its id. CallerError if the name is taken."""
    spec = spec if isinstance(spec, CallerSpec) else caller_spec(spec)
    ensure_schema(conn)

    def work() -> str:
        conn.execute(BARRIER_SQL)
        if _current(conn, [spec.name]):
            raise CallerError(f"a caller named {spec.name!r} already exists")
        return _write(conn, spec, None)

    return atomic(conn, work)[0]


def edit_caller(conn: psycopg.Connection, name: str, *, role: Any = UNCHANGED, languages: Any = UNCHANGED,
                daily_limit: Any = UNCHANGED, states: Any = UNCHANGED, status: Any = UNCHANGED,
                new_name: Any = UNCHANGED) -> CallerSpec:
    """Change some fields of the caller named `name` (lists replace the old ones); returns the caller as saved."""
    ensure_schema(conn)
    changes = {key: value for key, value in {"role": role, "languages": languages, "daily_limit": daily_limit,
                                             "states": states, "status": status, "name": new_name}.items()
               if value is not UNCHANGED}

    def work() -> CallerSpec:
        conn.execute(BARRIER_SQL)
        current = _current(conn, [name]).get(name)
        if current is None:
            raise CallerError(f"no caller named {name!r}")
        caller_id, before = current
        spec = caller_spec({**asdict(before), **changes})
        if spec.name != name and _current(conn, [spec.name]):
            raise CallerError(f"a caller named {spec.name!r} already exists")
        if spec != before:
            _write(conn, spec, caller_id)
        return spec

    return atomic(conn, work)[0]


def set_status(conn: psycopg.Connection, name: str, status: str) -> CallerSpec:
    """Activate, pause or deactivate a caller; effective for every assignment decided after this returns."""
    return edit_caller(conn, name, status=status)


def delete_caller(conn: psycopg.Connection, name: str) -> str:
    """Delete a caller who never had a lead (`deleted`); one with history is made inactive instead, so the
    assignments and audit trail keep their caller (`deactivated`)."""
    ensure_schema(conn)

    def work() -> str:
        conn.execute(BARRIER_SQL)
        current = _current(conn, [name]).get(name)
        if current is None:
            raise CallerError(f"no caller named {name!r}")
        caller_id = current[0]
        if conn.execute("select 1 from ops.lead_assignments where caller_id = %s limit 1", (caller_id,)).fetchone():
            conn.execute("update ops.callers set status = 'inactive', updated_at = now() where id = %s", (caller_id,))
            return "deactivated"
        conn.execute("delete from ops.callers where id = %s", (caller_id,))
        return "deleted"

    return atomic(conn, work)[0]


def list_callers(conn: psycopg.Connection, *, timezone: str = DEFAULT_TIMEZONE,
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """Every caller with states, daily limit, status and the leads handed to them on today's business date."""
    ensure_schema(conn)
    rows = atomic(conn, lambda: conn.execute("""
        select c.id, c.name, c.role, c.languages, c.daily_limit, c.status,
               array(select s.state from ops.caller_states as s where s.caller_id = c.id order by s.state),
               coalesce(d.count, 0)
        from ops.callers as c
        left join ops.caller_daily_counter as d
            on d.caller_id = c.id and d.date = (coalesce(%s::timestamptz, now()) at time zone %s)::date
        order by c.name""", (now, timezone)).fetchall())[0]
    return [{"id": str(caller_id), "name": name, "role": role, "languages": list(languages),
             "daily_limit": limit, "states": list(states), "status": status, "assigned_today": today,
             "remaining_today": max(limit - today, 0) if limit else None}
            for caller_id, name, role, languages, limit, status, states, today in rows]


def sync_callers(conn: psycopg.Connection, records: Iterable[Mapping[str, Any]]) -> CallerSyncSummary:
    """Upsert callers from the sheet's Callers rows (matched by name). Invalid or repeated rows are skipped and
    reported, the rest applied: one typo in the sheet must not freeze every other caller's settings. Callers
    missing from the rows are left as they are (pause them explicitly)."""
    specs, errors = _parse_all(records)
    summary = _upsert(conn, specs)
    summary.errors = errors
    return summary


def import_callers_csv(conn: psycopg.Connection, path: str | Path) -> CallerSyncSummary:
    """Upsert callers from a CSV file, all or nothing: CallerError lists every bad row and nothing is written."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"name"} - {header_key(header) for header in reader.fieldnames or ()}
        if missing:
            raise CallerError(f"{path}: missing column(s) {', '.join(sorted(missing))}; expected "
                              + ",".join(CALLER_FIELDS))
        records, lines = [], []
        for record in reader:  # line numbers from the reader: blank lines are skipped, quoted cells may span lines
            records.append(record)
            lines.append(reader.line_num)
        specs, errors = _parse_all(records, lines=lines)
    if errors:
        raise CallerError(f"{path}: " + " | ".join(errors))
    return _upsert(conn, specs)


def _parse_all(records: Iterable[Mapping[str, Any]], first_line: int = 1,
               lines: Iterable[int] | None = None) -> tuple[list[CallerSpec], list[str]]:
    specs: dict[str, CallerSpec] = {}
    errors: list[str] = []
    for line, record in zip(itertools.count(first_line) if lines is None else lines, records, strict=False):
        if not any(clean_text(value) for value in record.values() if isinstance(value, str)) and \
                not any(isinstance(value, list | tuple) and value for value in record.values()):
            continue  # a blank line
        try:
            spec = caller_spec(record)
        except CallerError as error:
            errors.append(f"row {line}: {error}")
            continue
        if spec.name in specs:
            errors.append(f"row {line}: caller {spec.name!r} appears twice")
            continue
        specs[spec.name] = spec
    return list(specs.values()), errors


def _upsert(conn: psycopg.Connection, specs: list[CallerSpec]) -> CallerSyncSummary:
    ensure_schema(conn)

    def work() -> CallerSyncSummary:
        conn.execute(BARRIER_SQL)
        summary = CallerSyncSummary()
        current = _current(conn, [spec.name for spec in specs])
        for spec in specs:
            if spec.name not in current:
                _write(conn, spec, None)
                summary.added.append(spec.name)
            elif current[spec.name][1] != spec:
                _write(conn, spec, current[spec.name][0])
                summary.updated.append(spec.name)
            else:
                summary.unchanged += 1
        return summary

    return atomic(conn, work)[0]


def _current(conn: psycopg.Connection, names: list[str]) -> dict[str, tuple[Any, CallerSpec]]:
    rows = conn.execute("""
        select c.id, c.name, c.role, c.languages, c.daily_limit,
               array(select s.state from ops.caller_states as s where s.caller_id = c.id order by s.state), c.status
        from ops.callers as c where c.name = any(%s)""", (names,)).fetchall()
    return {row[1]: (row[0], CallerSpec(row[1], row[2], tuple(row[3]), row[4], tuple(row[5]), row[6]))
            for row in rows}


def _write(conn: psycopg.Connection, spec: CallerSpec, caller_id: Any) -> str:
    values = {"name": spec.name, "role": spec.role, "languages": list(spec.languages), "limit": spec.daily_limit,
              "status": spec.status, "id": caller_id, "states": list(spec.states)}
    if caller_id is None:
        caller_id = conn.execute("""
            insert into ops.callers (name, role, languages, daily_limit, status)
            values (%(name)s, %(role)s, %(languages)s, %(limit)s, %(status)s) returning id""", values).fetchone()[0]
        values["id"] = caller_id
    else:
        conn.execute("""
            update ops.callers set name = %(name)s, role = %(role)s, languages = %(languages)s,
                daily_limit = %(limit)s, status = %(status)s, updated_at = now()
            where id = %(id)s""", values)
        conn.execute("delete from ops.caller_states where caller_id = %(id)s and state <> all(%(states)s::text[])",
                     values)
    conn.execute("""
        insert into ops.caller_states (caller_id, state) select %(id)s, unnest(%(states)s::text[])
        on conflict do nothing""", values)
    return str(caller_id)
