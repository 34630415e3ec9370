"""Manual reassignment: a manager moves a lead (or hands out a queued one) to a named caller.

Rules, chosen so that the daily cap keeps meaning "leads handed to this caller today":
* the new caller's counter for today's business date goes up by one; the old caller's is not decremented (they
  did receive the lead, and giving the slot back would let the engine refill it the same day);
* the target must be active and, unless `override_cap`, below its daily cap;
* the old assignment is kept with status `reassigned` (and ended_at); the new one is `active`, routing key
  `manual`, and inherits the lead score; a queued lead's queue entry is resolved;
* one `reassigned` event goes to the audit log with who it came from and why.

Locks: the lead row first (so two managers cannot reassign one lead at once), the target caller row (shared,
so a concurrent pause waits), then the target's counter row, last, like the engine.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from salesops.assignment.db import atomic, ensure_schema
from salesops.assignment.engine import AssignmentResult, AssignmentSettings

MANUAL_KEY = "manual"


class ReassignError(ValueError):
    """The reassignment is not allowed (unknown lead or caller, inactive or capped caller, same caller)."""


def reassign(conn: psycopg.Connection, lead_id: str | UUID, to_caller_name: str, reason: str,
             settings: AssignmentSettings | None = None, *, now: datetime | None = None,
             override_cap: bool = False) -> AssignmentResult:
    """Move `lead_id` to the caller named `to_caller_name` (see the module docstring for the rules); returns
    the new assignment. Raises ReassignError when it is not allowed."""
    settings = settings or AssignmentSettings()
    if not reason or not reason.strip():
        raise ReassignError("a reassignment needs a reason (it goes to the audit log)")
    try:
        lead_id = UUID(str(lead_id))
    except ValueError:
        raise ReassignError(f"no lead {lead_id}: not a lead id") from None
    ensure_schema(conn)
    result, _ = atomic(conn, lambda: _reassign(conn, str(lead_id), to_caller_name, reason.strip(), settings, now,
                                               override_cap), attempts=settings.attempts)
    return result


def _reassign(conn: psycopg.Connection, lead_id: str, to_caller_name: str, reason: str,
              settings: AssignmentSettings, now: datetime | None, override_cap: bool) -> AssignmentResult:
    clock = conn.execute("select coalesce(%s::timestamptz, now()), (coalesce(%s::timestamptz, now()) "
                         "at time zone %s)::date", (now, now, settings.timezone)).fetchone()
    at, business_date = clock
    if conn.execute("select 1 from ops.leads where id = %s::uuid for update", (lead_id,)).fetchone() is None:
        raise ReassignError(f"no lead {lead_id}")
    target = conn.execute("select id, name, status, daily_limit from ops.callers where name = %s for share",
                          (to_caller_name,)).fetchone()
    if target is None:
        raise ReassignError(f"no caller named {to_caller_name!r}")
    caller_id, caller_name, status, daily_limit = target
    if status != "active":
        raise ReassignError(f"caller {caller_name!r} is {status}")
    old = conn.execute("""
        select a.id, a.caller_id, c.name, a.lead_score from ops.lead_assignments as a
        join ops.callers as c on c.id = a.caller_id
        where a.lead_id = %s::uuid and a.status = 'active'""", (lead_id,)).fetchone()
    if old is not None and old[1] == caller_id:
        raise ReassignError(f"lead {lead_id} is already assigned to {caller_name!r}")
    count = conn.execute("""
        insert into ops.caller_daily_counter as d (caller_id, date, count) values (%(caller)s, %(date)s, 1)
        on conflict (caller_id, date) do update set count = d.count + 1
            where %(override)s or %(limit)s = 0 or d.count < %(limit)s
        returning d.count""", {"caller": caller_id, "date": business_date, "limit": daily_limit,
                                "override": override_cap}).fetchone()
    if count is None:
        raise ReassignError(f"caller {caller_name!r} is at the daily cap ({daily_limit}); pass override_cap to "
                            "hand over the lead anyway")
    queued = conn.execute("""
        update ops.unassigned_leads set resolved_at = %s, needs_review = false
        where lead_id = %s::uuid and resolved_at is null returning reason""", (at, lead_id)).fetchone()
    if old is not None:
        conn.execute("update ops.lead_assignments set status = 'reassigned', ended_at = %s where id = %s",
                     (at, old[0]))
    over_cap = daily_limit > 0 and count[0] > daily_limit
    text = f"manual: {reason}" + (f"; over the daily cap ({count[0]}/{daily_limit})" if over_cap else "")
    conn.execute("""
        insert into ops.lead_assignments (lead_id, caller_id, assigned_at, business_date, assignment_reason,
                                          routing_key, lead_score)
        values (%s::uuid, %s, %s, %s, %s, %s, %s)""",
                 (lead_id, caller_id, at, business_date, text, MANUAL_KEY, old[3] if old else None))
    decision = {"from_caller": old[2] if old else None, "from_queue": queued[0] if queued else None,
                "business_date": business_date.isoformat(), "count": count[0], "daily_limit": daily_limit,
                "override_cap": override_cap}
    conn.execute("""
        insert into ops.assignment_log (lead_id, event, caller_id, caller_name, routing_key, reason, decision, at)
        values (%s::uuid, 'reassigned', %s, %s, %s, %s, %s, %s)""",
                 (lead_id, caller_id, caller_name, MANUAL_KEY, text, Jsonb(decision), at))
    return AssignmentResult("assigned", lead_id, str(caller_id), caller_name, MANUAL_KEY, text)
