"""Read-only views of lead routing for the CLI, API and UI: the unassigned queue, a lead with its assignment
history and decision log, and a filtered lead list. Each read is one short transaction (no locks held)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from salesops.assignment.db import atomic, ensure_schema
from salesops.geography import canonical_state


class LeadNotFound(LookupError):
    """No lead has this id."""


def unassigned_leads(conn: psycopg.Connection, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    """The unassigned queue, oldest first: leads no caller could take (every candidate paused or capped).
    Resolved entries (handed out by a reassignment) only with `include_resolved`."""
    ensure_schema(conn)
    return _fetch(conn, """
        select q.lead_id::text as lead_id, l.name, l.phone, l.city, l.state, q.queued_at, q.business_date,
               q.reason, q.needs_review, q.resolved_at
        from ops.unassigned_leads as q join ops.leads as l on l.id = q.lead_id
        where %(all)s or q.resolved_at is null
        order by q.queued_at, q.lead_id""", {"all": include_resolved})


def lead_details(conn: psycopg.Connection, lead_id: str | UUID) -> dict[str, Any]:
    """A lead with `status` (assigned / unassigned), `current` assignment, every `assignment` (oldest first,
    reassigned ones with ended_at), its `queue` entry if it was ever queued, and the append-only decision
    `log` (event, caller, routing key, reason, and the decision: pools tried, callers skipped and why,
    fallback, count against the cap). LeadNotFound if there is no such lead."""
    try:
        key = str(UUID(str(lead_id)))
    except ValueError:
        raise LeadNotFound(f"no lead {lead_id}: not a lead id (a UUID)") from None
    ensure_schema(conn)

    def read() -> dict[str, Any] | None:
        leads = _rows(conn, """
            select id::text as id, name, phone, timestamp_from_sheet, lead_source, city, state, language, metadata,
                   source, source_row_id, external_id, validation_warnings, duplicate_count, last_duplicate_at,
                   created_at
            from ops.leads where id = %(id)s::uuid""", {"id": key})
        if not leads:
            return None
        assignments = _rows(conn, """
            select a.id::text as id, c.name as caller, a.caller_id::text as caller_id, a.status, a.assigned_at,
                   a.business_date, a.routing_key, a.assignment_reason as reason, a.lead_score, a.ended_at
            from ops.lead_assignments as a join ops.callers as c on c.id = a.caller_id
            where a.lead_id = %(id)s::uuid order by a.assigned_at, a.id""", {"id": key})
        queue = _rows(conn, """
            select queued_at, business_date, reason, needs_review, resolved_at
            from ops.unassigned_leads where lead_id = %(id)s::uuid""", {"id": key})
        log = _rows(conn, """
            select id, event, at, caller_name as caller, routing_key, reason, decision
            from ops.assignment_log where lead_id = %(id)s::uuid order by id""", {"id": key})
        return {"lead": leads[0], "assignments": assignments, "queue": queue[0] if queue else None, "log": log}

    found = atomic(conn, read)[0]
    if found is None:
        raise LeadNotFound(f"no lead {key}")
    current = next((item for item in found["assignments"] if item["status"] == "active"), None)
    return {"status": "assigned" if current else "unassigned", "current": current, **found}


def find_leads(conn: psycopg.Connection, *, state: str | None = None, caller: str | None = None,
               search: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Newest leads first with their current caller: `state` (name or code), `caller` (name) and `search`
    (part of the name, case-insensitive, or digits of the phone) narrow the list. ValueError on an unknown
    state."""
    canonical = None
    if state:
        canonical = canonical_state(state)
        if canonical is None:
            raise ValueError(f"unknown state {state!r}")
    text = (search or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ensure_schema(conn)
    return _fetch(conn, """
        select l.id::text as lead_id, l.name, l.phone, l.city, l.state, l.lead_source, l.created_at,
               case when a.id is not null then 'assigned' else 'unassigned' end as status,
               c.name as caller, a.assigned_at, a.assignment_reason as reason
        from ops.leads as l
        left join ops.lead_assignments as a on a.lead_id = l.id and a.status = 'active'
        left join ops.callers as c on c.id = a.caller_id
        where (%(state)s::text is null or l.state = %(state)s)
          and (%(caller)s::text is null or c.name = %(caller)s)
          and (%(text)s = '' or l.name ilike %(pattern)s or (%(digits)s <> '' and l.phone like %(phone)s))
        order by l.created_at desc, l.id
        limit %(limit)s""", {"state": canonical, "caller": caller or None, "text": text, "pattern": pattern,
                             "digits": digits, "phone": f"%{digits}%", "limit": max(limit, 0)})


def _rows(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def _fetch(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return atomic(conn, lambda: _rows(conn, query, params), single_statement=True)[0]
