"""The transactional lead-assignment engine: store a lead once, route it to a caller, audit the decision.

Each lead is one call of the server-side function `ops.assign_lead` (migration 2 of `salesops.ops_schema`), one
transaction and, on an autocommit connection, one round trip. The function:

1. inserts the lead with `ON CONFLICT DO NOTHING` on (phone, timestamp_from_sheet) and source_row_id, after
   this module normalised the phone to E.164; a retried or re-sent row changes nothing but the lead's
   `duplicate_count` (counted there rather than logged, so a retry storm cannot bloat the audit log) and
   returns status `duplicate` with the lead's current caller;
2. routes a lead with a state to the pool `state:<state>` (callers serving it), else, or when nobody there is
   eligible, to `global` = every active caller, whatever states they serve; paused and inactive callers never
   get new leads but keep the ones they have;
3. picks the next caller in the pool's rotation: callers ordered by name (unique), starting after the pool
   pointer's last caller, skipping callers at their daily cap (0 = unlimited). With `route_by_language` the
   first eligible caller speaking the lead's language wins; if nobody eligible speaks it, the plain next one;
4. increments that caller's counter for the business date (the date at assignment time in the business
   timezone, so counters reset at local midnight), records the assignment, moves the pointer and appends the
   decision (pools tried, callers skipped and why, fallback) to `ops.assignment_log`; when every candidate is
   paused or capped the lead goes to `ops.unassigned_leads` with needs_review instead.

Locks are taken in one order everywhere: the pool pointer row (`SELECT ... FOR UPDATE`, which serialises a pool
and makes its rotation fair), the global pointer after a state pointer, then a single counter row, last. A
caller in several pools can be filled by another pool between the unlocked read and the counter update; the
conditional increment then fails, the function raises serialization_failure and `atomic` retries the lead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from ingestion.lead_rows import BUSINESS_TIMEZONE
from salesops.assignment.db import atomic, ensure_schema
from salesops.assignment.rows import PreparedLead, RejectedRow, prepare_row
from salesops.assignment.scores import latest_scores, scores_available

DEFAULT_TIMEZONE = BUSINESS_TIMEZONE.key
CHUNK = 500
ASSIGN_SQL = """
    select o_status, o_lead_id::text, o_caller_id::text, o_caller_name, o_routing_key, o_reason from ops.assign_lead(
        %s::text, %s::text, %s::timestamptz, %s::text, %s::text, %s::text, %s::text, %s::jsonb, %s::text,
        %s::text, %s::text, %s::text[], %s::float8, %s::timestamptz, %s::text, %s::boolean)"""
QUARANTINE_SQL = """
    insert into ops.lead_quarantine (source, source_row_id, raw, errors) values (%s, %s, %s, %s)
    on conflict (source_row_id) where source_row_id is not null do nothing"""


@dataclass(frozen=True)
class AssignmentSettings:
    """How leads are routed. `timezone` defines the business date of the daily caps; `lookup_scores` reads
    `ml.lead_scores` for leads that arrive without a score; `attempts` bounds retries of a lost race."""

    timezone: str = DEFAULT_TIMEZONE
    route_by_language: bool = False
    lookup_scores: bool = True
    attempts: int = 8

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # fail early on a typo rather than inside every transaction
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")


@dataclass(frozen=True)
class AssignmentResult:
    """What happened to one row: `assigned`, `queued` (every candidate paused or capped), `duplicate` (already
    stored; caller is its current one) or `quarantined` (not a lead: see errors)."""

    status: str
    lead_id: str | None = None
    caller_id: str | None = None
    caller_name: str | None = None
    routing_key: str | None = None
    reason: str | None = None
    source_row_id: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": list(self.errors), "warnings": list(self.warnings)}


@dataclass
class IngestSummary:
    """Counts of one ingestion run; `inserted` = new leads = assigned + unassigned."""

    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    assigned: int = 0
    unassigned: int = 0
    quarantined: int = 0
    retries: int = 0
    by_caller: dict[str, int] = field(default_factory=dict)

    def add(self, result: AssignmentResult) -> None:
        self.received += 1
        self.retries += result.retries
        if result.status == "assigned":
            self.inserted += 1
            self.assigned += 1
            self.by_caller[result.caller_name or ""] = self.by_caller.get(result.caller_name or "", 0) + 1
        elif result.status == "queued":
            self.inserted += 1
            self.unassigned += 1
        elif result.status == "duplicate":
            self.duplicates += 1
        else:
            self.quarantined += 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assign_lead(conn: psycopg.Connection, row: Mapping[str, Any], source: str,
                settings: AssignmentSettings | None = None, *, now: datetime | None = None) -> AssignmentResult:
    """Validate, store and route one row in its own transaction (the webhook's path). `source` labels where
    it came from (`sheets`, `csv`, `crm`, `webhook`); `now` (tests) stands in for the assignment time."""
    settings = settings or AssignmentSettings()
    ensure_schema(conn)
    prepared = prepare_row(row)
    if settings.lookup_scores and isinstance(prepared, PreparedLead) and prepared.score is None \
            and prepared.external_id and atomic(conn, lambda: scores_available(conn))[0]:
        prepared = _with_scores(conn, [prepared])[0]
    return _store(conn, prepared, source, settings, now)


def ingest_rows(conn: psycopg.Connection, rows: Iterable[Mapping[str, Any]], source: str,
                settings: AssignmentSettings | None = None, *, now: datetime | None = None,
                on_result: Callable[[AssignmentResult], None] | None = None) -> IngestSummary:
    """Store and route many rows (CSV import, a sensor's new sheet rows, a CRM batch), each lead in its own
    transaction so concurrent writers never wait on each other's batches. Safe to run again and from many
    processes at once on overlapping inputs: duplicates are no-ops. `on_result` sees every row's outcome."""
    settings = settings or AssignmentSettings()
    ensure_schema(conn)
    summary = IngestSummary()
    with_scores = settings.lookup_scores and atomic(conn, lambda: scores_available(conn))[0]
    for chunk in _chunks(rows, CHUNK):
        prepared = [prepare_row(row) for row in chunk]
        if with_scores:
            prepared = _with_scores(conn, prepared)
        for item in prepared:
            result = _store(conn, item, source, settings, now)
            summary.add(result)
            if on_result:
                on_result(result)
    return summary


def _store(conn: psycopg.Connection, item: PreparedLead | RejectedRow, source: str,
           settings: AssignmentSettings, now: datetime | None) -> AssignmentResult:
    if isinstance(item, RejectedRow):
        atomic(conn, lambda: conn.execute(QUARANTINE_SQL, (source, item.source_row_id, Jsonb(item.raw),
                                                           list(item.errors))), single_statement=True)
        return AssignmentResult("quarantined", source_row_id=item.source_row_id, errors=item.errors,
                                warnings=item.warnings)
    params = (item.name, item.phone, item.timestamp, item.lead_source, item.city, item.state, item.language,
              Jsonb(item.metadata), source, item.source_row_id, item.external_id, list(item.warnings), item.score,
              now, settings.timezone, settings.route_by_language)
    row, retries = atomic(conn, lambda: conn.execute(ASSIGN_SQL, params).fetchone(),
                          attempts=settings.attempts, single_statement=True)
    status, lead_id, caller_id, caller_name, routing_key, reason = row
    return AssignmentResult(status, lead_id, caller_id, caller_name, routing_key, reason, item.source_row_id,
                            warnings=item.warnings, retries=retries)


def _with_scores(conn: psycopg.Connection, items: list[PreparedLead | RejectedRow]) -> list[PreparedLead | RejectedRow]:
    """Fill in the latest ML score of leads that came without one (the scores table must exist)."""
    wanted = [item.external_id for item in items
              if isinstance(item, PreparedLead) and item.score is None and item.external_id]
    if not wanted:
        return items
    scores = atomic(conn, lambda: latest_scores(conn, wanted))[0]
    return [_scored(item, scores) for item in items]


def _scored(item: PreparedLead | RejectedRow, scores: dict[str, float]) -> PreparedLead | RejectedRow:
    if isinstance(item, PreparedLead) and item.score is None and item.external_id in scores:
        return replace(item, score=scores[item.external_id])
    return item


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
