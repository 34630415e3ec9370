"""Near-real-time lead routing: `new_leads_sensor` watches the Leads tab and routes new rows within seconds.

Why the sensor routes the leads itself rather than launching a run per new row: a Dagster run costs seconds
before its first step executes (a new process imports the code location, then the run worker starts;
3-20 s depending on the machine), while the assignment engine needs milliseconds per lead. The sensor is
evaluated in the long-lived code server, where everything is already imported, so a tick costs one small
Sheets API call when nothing is new, and, when rows arrived, the rows and header plus one short
transaction per lead (`salesops.assignment.ingest_rows`: the dlt load's validation rules, quarantine,
routing, the audit log). Latency is the wait for the next tick: the daemon evaluates sensors every
5 seconds at most.

The cursor (JSON) is the last sheet row routed. It moves only after `ingest_rows` returned, i.e. after
every lead of the batch committed; a tick that fails half way repeats its rows, which the engine's
idempotency (`source_row_id` = `sheets:Leads:<row>`) turns into no-ops. On its very first tick the sensor
starts after the last sheet row the warehouse already knows (ops or raw tables), or at the end of the tab
on a new warehouse: older rows are history, routed (within their lookback) by the daily job's batch asset.

Lineage stays complete: every tick that stored leads reports a materialization of `ops/lead_assignments`
(counts, callers, rows, tick time), and the new rows are also loaded into `raw_sheets.leads` by the small
job `sheets_leads_load` (the dlt sheets source, same quarantine rules), requested at most once per
`SALESOPS_LEADS_RAW_LOAD_SECONDS` (default 60) and never while one is queued or running, so a busy form
does not start a run every five seconds.

The sensor is STOPPED by default: turning it on routes every new row of the configured sheet (the real
sheet when `SOURCES__SHEETS__*` is set), which is a decision for an operator, not a side effect of
`make ui`. Turn it on in the UI (Automation -> new_leads_sensor) or with
`dagster sensor start new_leads_sensor -w workspace.yaml` (the Dagster environment of `salesops ui`).

This module is imported with the code location, so it imports nothing beyond Dagster and the standard
library at module level; the engine, psycopg and dlt load inside the tick that needs them.
"""

import json
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from orchestration.assets.lead_routing import ASSIGNMENTS_KEY, LEADS_TAB, SHEET_ROW_PREFIX, sheet_record, table_exists
from orchestration.resources import WarehouseResource

SENSOR_NAME = "new_leads_sensor"
RAW_LOAD_JOB = "sheets_leads_load"
MAX_ROWS_PER_FETCH = 1000  # one Sheets request; a tick keeps fetching while full pages come back ...
MAX_ROWS_PER_TICK = 5000  # ... up to this many rows (seconds of engine work; the daemon allows a tick 60 s)
RAW_LOAD_SECONDS_ENV = "SALESOPS_LEADS_RAW_LOAD_SECONDS"
DEFAULT_RAW_LOAD_SECONDS = 60.0
HTTP_TIMEOUT = 15.0
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]

sheets_leads_load_job = define_asset_job(
    name=RAW_LOAD_JOB,
    selection=AssetSelection.assets(AssetKey(["raw", "sheets", "leads"])),
    description="Load new Leads-sheet rows into raw_sheets.leads (dlt, incremental by row, same quarantine rules); "
                "requested by new_leads_sensor after it routed them, so the warehouse keeps every lead.",
    tags={"salesops/job": RAW_LOAD_JOB},
)


# -- the Sheets API, read with the standard library (cheap to import, one request per call) -------------------


@dataclass(frozen=True)
class SheetEndpoint:
    base_url: str
    api_key: str
    spreadsheet_id: str


_resolved_endpoint: SheetEndpoint | None = None


def sheet_endpoint() -> SheetEndpoint:
    """The sheet the dlt sheets source reads: `SOURCES__SHEETS__*` from the environment when all three are set
    (no dlt import), else dlt's configuration resolution (`.dlt/` files, or the local simulator), cached."""
    global _resolved_endpoint
    values = [os.environ.get(f"SOURCES__SHEETS__{name}") for name in ("BASE_URL", "API_KEY", "SPREADSHEET_ID")]
    if all(values):
        return SheetEndpoint(*values)  # type: ignore[arg-type]
    if _resolved_endpoint is None:
        from ingestion.endpoints import resolve_endpoint

        endpoint = resolve_endpoint("sheets")
        _resolved_endpoint = SheetEndpoint(endpoint.base_url, endpoint.secret, endpoint.spreadsheet_id or "")
    return _resolved_endpoint


def fetch_values(endpoint: SheetEndpoint, a1_range: str) -> list[list[str]]:
    """`values.get` of one range (Google Sheets API v4): rows of cells, trailing empty rows and cells dropped."""
    global _resolved_endpoint
    url = (f"{endpoint.base_url.rstrip('/')}/v4/spreadsheets/{quote(endpoint.spreadsheet_id, safe='')}/values/"
           f"{quote(a1_range, safe='!:')}?key={quote(endpoint.api_key, safe='')}")
    try:
        with urlopen(url, timeout=HTTP_TIMEOUT) as response:
            return json.loads(response.read()).get("values", [])
    except HTTPError as error:  # never put the URL in a message: it carries the API key
        body = error.read().decode("utf-8", "replace")
        if error.code == 400 and "exceeds grid limits" in body:
            return []  # Google's answer to a range below the sheet's last row
        if error.code in (401, 403):
            raise RuntimeError(f"sheets: the API key was refused (HTTP {error.code}); check "
                               "sources.sheets.api_key and that the sheet is shared") from None
        raise RuntimeError(f"sheets: HTTP {error.code} reading {a1_range!r}: {body[:300]}") from None
    except OSError:
        _resolved_endpoint = None  # a restarted simulator listens elsewhere: resolve again next tick
        raise


# -- the cursor -------------------------------------------------------------------------------------------------


@dataclass
class LeadCursor:
    """`row`: last sheet row routed; `raw_row`: last row a raw load was requested for, at `raw_at` (epoch s)."""

    row: int
    raw_row: int
    raw_at: float = 0.0

    @classmethod
    def parse(cls, text: str | None) -> "LeadCursor | None":
        if not text:
            return None
        data = json.loads(text)
        return cls(int(data["row"]), int(data.get("raw_row", data["row"])), float(data.get("raw_at", 0.0)))

    def dump(self) -> str:
        return json.dumps({"row": self.row, "raw_row": self.raw_row, "raw_at": round(self.raw_at, 3)})


def known_last_row(url: str) -> int | None:
    """The highest Leads row the warehouse has seen: routed or quarantined in ops, or loaded into raw."""
    import psycopg

    from salesops.assignment.db import ensure_schema

    queries = [f"select max(substr(source_row_id, {len(SHEET_ROW_PREFIX) + 1})::int) from ops.{table} "
               f"where source_row_id like %s" for table in ("leads", "lead_quarantine")]
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_schema(conn)
        found = [conn.execute(query, (f"{SHEET_ROW_PREFIX}%",)).fetchone()[0] for query in queries]
        for table in ("raw_sheets.leads", "raw_sheets.leads_quarantine"):
            if table_exists(conn, table):
                found.append(conn.execute(f"select max(row_number) from {table}").fetchone()[0])
    known = [row for row in found if row is not None]
    return max(known) if known else None


def sheet_last_row(endpoint: SheetEndpoint) -> int:
    """The tab's last used row (the header counts), from column A: read once, when the sensor first starts."""
    return len(fetch_values(endpoint, f"{LEADS_TAB}!A:A"))


# -- the tick ---------------------------------------------------------------------------------------------------


def raw_load_interval() -> float:
    return float(os.environ.get(RAW_LOAD_SECONDS_ENV) or DEFAULT_RAW_LOAD_SECONDS)


def _records(header: list[str], rows: list[list[str]], first_row: int) -> list[dict[str, Any]]:
    """The rows as records (`sheet_record`), blank lines dropped: they carry no lead."""
    return [sheet_record(header, cells, first_row + offset) for offset, cells in enumerate(rows)
            if any(str(cell).strip() for cell in cells)]


def route_new_rows(url: str, endpoint: SheetEndpoint, after_row: int) -> tuple[int, Any, dict[str, float]]:
    """Fetch the rows after `after_row` and route them. Returns (last row read, IngestSummary or None when
    there was nothing new, timings in ms). Only the first fetch happens when nothing is new."""
    started = time.perf_counter()
    fetched: list[list[str]] = []
    while True:
        start = after_row + len(fetched) + 1
        page = fetch_values(endpoint, f"{LEADS_TAB}!{start}:{start + MAX_ROWS_PER_FETCH - 1}")
        fetched.extend(page)
        if len(page) < MAX_ROWS_PER_FETCH or len(fetched) >= MAX_ROWS_PER_TICK:
            break  # the rest, if any, is the next tick's
    fetch_ms = (time.perf_counter() - started) * 1000
    if not fetched:
        return after_row, None, {"fetch_ms": fetch_ms}
    header = fetch_values(endpoint, f"{LEADS_TAB}!1:1")
    if not header or not any(str(cell).strip() for cell in header[0]):
        raise RuntimeError(f"the {LEADS_TAB} tab has no header row: cannot read its rows")
    records = _records(header[0], fetched, after_row + 1)

    import psycopg

    from salesops.assignment import AssignmentSettings, ingest_rows

    engine_started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        summary = ingest_rows(conn, records, "sheets", AssignmentSettings())
    timings = {"fetch_ms": fetch_ms, "engine_ms": (time.perf_counter() - engine_started) * 1000}
    return after_row + len(fetched), summary, timings


def _raw_load_in_flight(context: SensorEvaluationContext) -> bool:
    return bool(context.instance.get_run_records(RunsFilter(job_name=RAW_LOAD_JOB, statuses=IN_FLIGHT), limit=1))


@sensor(
    name=SENSOR_NAME,
    job=sheets_leads_load_job,
    minimum_interval_seconds=2,  # below the daemon's 5 s loop: every loop evaluates it
    default_status=DefaultSensorStatus.STOPPED,
    description="Routes new Leads-sheet rows to callers within seconds (validation, quarantine, state pools, "
                "round robin, daily caps: the assignment engine, in the sensor), then requests "
                "`sheets_leads_load` so raw_sheets.leads keeps up. Stopped by default: start it in the UI or "
                "with `dagster sensor start new_leads_sensor -w workspace.yaml`.",
)
def new_leads_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult:
    started = time.perf_counter()
    endpoint = sheet_endpoint()
    url = warehouse.connection_url()
    cursor = LeadCursor.parse(context.cursor)
    notes: list[str] = []
    if cursor is None:
        known = known_last_row(url)
        first = known if known is not None else sheet_last_row(endpoint)
        cursor = LeadCursor(row=first, raw_row=first)
        notes.append(f"first tick: routing rows after row {first} "
                     f"({'the last one the warehouse knows' if known is not None else 'the end of the tab'})")

    last_row, summary, timings = route_new_rows(url, endpoint, cursor.row)
    asset_events = []
    routed = ""
    if summary is not None:
        first_new = cursor.row + 1
        cursor.row = last_row
        tick_ms = (time.perf_counter() - started) * 1000
        by_caller = ", ".join(f"{name} {count}" for name, count in sorted(summary.by_caller.items())) or "nobody"
        routed = (f"{LEADS_TAB} rows {first_new}-{last_row}: {summary.received} read, {summary.assigned} assigned "
                  f"({by_caller}), {summary.unassigned} queued, {summary.quarantined} quarantined, "
                  f"{summary.duplicates} duplicates in {tick_ms:.0f} ms (sheet {timings['fetch_ms']:.0f} ms, "
                  f"engine {timings['engine_ms']:.0f} ms)")
        context.log.info(routed)
        if summary.inserted or summary.quarantined:
            asset_events.append(AssetMaterialization(
                asset_key=ASSIGNMENTS_KEY,
                description=f"{SENSOR_NAME}: {LEADS_TAB} rows {first_new}-{last_row}",
                metadata={"path": "sensor", "sheet_rows": f"{first_new}-{last_row}", "inserted": summary.inserted,
                          "assigned": summary.assigned, "unassigned": summary.unassigned,
                          "quarantined": summary.quarantined, "duplicates": summary.duplicates,
                          "by_caller": MetadataValue.json(summary.by_caller),
                          "tick_ms": round(tick_ms, 1), "engine_ms": round(timings["engine_ms"], 1)}))

    run_requests = []
    now = time.time()
    if cursor.row > cursor.raw_row and now - cursor.raw_at >= raw_load_interval():
        if _raw_load_in_flight(context):
            notes.append("raw load deferred: one is queued or running")
        else:
            run_requests.append(RunRequest(
                run_key=f"{RAW_LOAD_JOB}:{cursor.raw_row + 1}-{cursor.row}",
                tags={"salesops/trigger": SENSOR_NAME, "salesops/sheet_rows": f"{cursor.raw_row + 1}-{cursor.row}"}))
            cursor.raw_row, cursor.raw_at = cursor.row, now

    for note in notes:
        context.log.info(note)
    skip = None
    if not run_requests:  # Dagster calls a tick without runs "skipped": say what it did (shown in the tick list)
        tick_ms = (time.perf_counter() - started) * 1000
        skip = SkipReason(routed or f"no new {LEADS_TAB} rows after row {cursor.row} ({tick_ms:.0f} ms)")
    return SensorResult(run_requests=run_requests, skip_reason=skip, cursor=cursor.dump(),
                        asset_events=asset_events)
