"""Lead routing assets (group `lead_routing`), the batch path of lead assignment, in the daily refresh:

- `ops/callers`: the sheet's Callers tab, as loaded by dlt into `raw_sheets.callers`, upserted into
  `ops.callers` with `salesops.assignment.sync_callers` (matched by name; a bad row is skipped and reported);
- `ops/lead_assignments`: leads the near-real-time sensor did not route (it was stopped, or the daemon was
  down) go through the same engine, `salesops.assignment.ingest_rows`: Leads-sheet rows from
  `raw_sheets.leads` (and the rows the load quarantined) with `source_row_id` `sheets:Leads:<row>`, the
  sensor's ids, and HubSpot contacts in lifecycle stage `lead`, not worked yet (lead status empty or NEW),
  with a phone, as `crm:<contact id>` (skipped when they mirror a sheet lead through `lead_id`).

Only recent leads are routed: the tail of the sheet from its first row younger than `lookback_hours`
(48 by default) and contacts created within it. Older rows are history; assigning them today would only fill
today's caps and the unassigned queue. Rows already stored (by the sensor, the CLI or an earlier run) are
left out before the engine sees them, so a rerun does nothing and never bumps a lead's duplicate count.

Not downstream of the ML scores on purpose: dbt reads `ops.lead_assignments` (a `source('ops', ...)`), and the
scores are built from dbt models. The engine still uses the latest `ml.lead_scores` when the table exists.
"""

from typing import Any

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from orchestration.assets.ingestion import raw_asset_key
from orchestration.resources import WarehouseResource

LEAD_ROUTING_GROUP = "lead_routing"
CALLERS_KEY = AssetKey(["ops", "callers"])
ASSIGNMENTS_KEY = AssetKey(["ops", "lead_assignments"])
LEADS_TAB = "Leads"  # ingestion.sheets.LEADS_TAB (not imported: that module imports dlt)
SHEET_ROW_PREFIX = f"sheets:{LEADS_TAB}:"
CRM_ROW_PREFIX = "crm:"
DUPLICATE_REASON = "duplicate of sheet row"  # the dlt load's reason for a repeated (phone, timestamp)


def sheet_row_id(row_number: int) -> str:
    """The `source_row_id` of a Leads-sheet row, shared by the sensor and this batch path."""
    return f"{SHEET_ROW_PREFIX}{row_number}"


def sheet_record(header: list[str], cells: list[str], row_number: int) -> dict[str, Any]:
    """A Leads-sheet row keyed by the tab's own header (the engine matches it in any spelling), with its id."""
    record = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if str(name).strip()}
    record["source_row_id"] = sheet_row_id(row_number)
    return record


class LeadRoutingConfig(Config):
    lookback_hours: float = Field(48.0, description="Route leads younger than this (sheet rows from the first "
                                                    "one younger, CRM contacts created since); older ones are "
                                                    "history.")
    include_crm: bool = Field(True, description="Also route HubSpot contacts in lifecycle stage lead that no "
                                                "sheet row carries.")


@asset(
    key=CALLERS_KEY,
    group_name=LEAD_ROUTING_GROUP,
    deps=[raw_asset_key("sheets", "callers")],
    kinds={"postgres"},
    metadata={"dagster/table_name": "ops.callers"},
    description="Callers (name, role, languages, daily lead limit, states, status) from the sheet's Callers tab, "
                "upserted by name into ops.callers and ops.caller_states. Callers missing from the tab are left "
                "as they are; invalid rows are skipped and listed.",
)
def ops_callers(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    import psycopg

    from salesops.assignment import list_callers, sync_callers

    with psycopg.connect(warehouse.connection_url(), autocommit=True) as conn:
        records = _raw_callers(conn)
        summary = sync_callers(conn, records)
        callers = list_callers(conn)
    for error in summary.errors:
        context.log.warning(f"Callers tab: {error}")
    statuses = {status: sum(caller["status"] == status for caller in callers)
                for status in ("active", "paused", "inactive")}
    context.log.info(f"callers: {len(summary.added)} added, {len(summary.updated)} updated, {summary.unchanged} "
                     f"unchanged, {len(summary.errors)} rejected; {statuses}")
    return MaterializeResult(metadata={
        "dagster/row_count": len(callers),
        "rows_read": len(records),
        "added": MetadataValue.json(summary.added),
        "updated": MetadataValue.json(summary.updated),
        "unchanged": summary.unchanged,
        "rejected": MetadataValue.json(summary.errors),
        **statuses,
    })


@asset(
    key=ASSIGNMENTS_KEY,
    group_name=LEAD_ROUTING_GROUP,
    deps=[raw_asset_key("sheets", "leads"), raw_asset_key("crm", "contacts"), CALLERS_KEY],
    kinds={"postgres"},
    metadata={"dagster/table_name": "ops.lead_assignments"},
    description="Leads stored once and routed to callers (ops.leads, ops.lead_assignments, ops.unassigned_leads, "
                "ops.lead_quarantine, the audit log ops.assignment_log). Written within seconds by "
                "new_leads_sensor; this batch step routes recent sheet rows and CRM leads the sensor did not see.",
)
def ops_lead_assignments(context: AssetExecutionContext, config: LeadRoutingConfig,
                         warehouse: WarehouseResource) -> MaterializeResult:
    import psycopg

    from salesops.assignment import AssignmentSettings, IngestSummary, ingest_rows
    from salesops.assignment.db import ensure_schema

    settings = AssignmentSettings()
    summaries: dict[str, IngestSummary] = {}
    with psycopg.connect(warehouse.connection_url(), autocommit=True) as conn:
        ensure_schema(conn)
        since = conn.execute("select now() - make_interval(secs => %s)", (config.lookback_hours * 3600,)).fetchone()[0]
        sheet = _sheet_candidates(conn, since)
        records = sheet["records"]
        if sheet["quarantined"]:
            records += _quarantined_records(context, sheet["quarantined"])
        summaries["sheets"] = ingest_rows(conn, records, "sheets", settings)
        summaries["sheets"].duplicates += sheet["duplicates"]
        if config.include_crm:
            summaries["crm"] = ingest_rows(conn, _crm_candidates(conn, since), "crm", settings)
        active, open_queue = conn.execute("""
            select (select count(*) from ops.lead_assignments where status = 'active'),
                   (select count(*) from ops.unassigned_leads where resolved_at is null)""").fetchone()

    total = IngestSummary()
    for summary in summaries.values():
        for name in ("received", "inserted", "duplicates", "assigned", "unassigned", "quarantined", "retries"):
            setattr(total, name, getattr(total, name) + getattr(summary, name))
        for caller, count in summary.by_caller.items():
            total.by_caller[caller] = total.by_caller.get(caller, 0) + count
    context.log.info(f"routed since {since:%Y-%m-%d %H:%M %Z}: {total.as_dict()}")
    return MaterializeResult(metadata={
        "path": "batch",
        "inserted": total.inserted,
        "assigned": total.assigned,
        "unassigned": total.unassigned,
        "quarantined": total.quarantined,
        "duplicates": total.duplicates,
        "by_caller": MetadataValue.json(dict(sorted(total.by_caller.items()))),
        "by_source": MetadataValue.json({source: summary.as_dict() for source, summary in summaries.items()}),
        "since": since.isoformat(),
        "first_sheet_row": sheet["first_row"],
        "dagster/row_count": active,
        "open_unassigned": open_queue,
    })


def table_exists(conn: Any, table: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]


def _raw_callers(conn: Any) -> list[dict[str, Any]]:
    if not table_exists(conn, "raw_sheets.callers"):
        return []
    cursor = conn.execute("select * from raw_sheets.callers order by name")
    columns = [column.name for column in cursor.description]
    wanted = ("name", "role", "languages", "daily_limit", "states", "status")
    return [{key: value for key, value in zip(columns, row, strict=True) if key in wanted}
            for row in cursor.fetchall()]


def _not_stored(id_sql: str) -> str:
    """SQL: the row id `id_sql` is neither a stored lead nor a quarantined row (both indexed on source_row_id)."""
    return (f"not exists (select 1 from ops.leads as o where o.source_row_id = {id_sql}) "
            f"and not exists (select 1 from ops.lead_quarantine as q where q.source_row_id = {id_sql})")


def _sheet_candidates(conn: Any, since: Any) -> dict[str, Any]:
    """Sheet rows to route: the tail of the sheet from the first valid row younger than `since` (or after the last
    valid row when none is), minus what ops already stores. Rows the load quarantined only as repeats of an
    earlier row are counted as duplicates, as the engine would."""
    result: dict[str, Any] = {"records": [], "quarantined": [], "duplicates": 0, "first_row": None}
    if not table_exists(conn, "raw_sheets.leads"):
        return result
    first_row = conn.execute("""
        select coalesce(min(row_number) filter (where lead_timestamp >= %(since)s), max(row_number) + 1, 1)
        from raw_sheets.leads""", {"since": since}).fetchone()[0]
    result["first_row"] = first_row
    row_id = f"'{SHEET_ROW_PREFIX}' || l.row_number"
    rows = conn.execute(f"""
        select l.row_number, to_jsonb(l) from raw_sheets.leads as l
        where l.row_number >= %s and {_not_stored(row_id)}
        order by l.row_number""", (first_row,)).fetchall()
    # the cells as typed where raw keeps them as text (phone_raw, state_raw): the engine validates them as the
    # sensor does; lead_timestamp is the parsed instant (dlt typed timestamp_raw, reading the IST text as UTC)
    result["records"] = [
        {"name": row.get("name"), "phone": row.get("phone_raw"), "timestamp": row.get("lead_timestamp"),
         "lead_source": row.get("lead_source"), "city": row.get("city"), "state": row.get("state_raw"),
         "language": row.get("language"), "metadata": row.get("metadata") or {},
         "source_row_id": sheet_row_id(row_number)}
        for row_number, row in rows]
    if table_exists(conn, "raw_sheets.leads_quarantine"):
        for row_number, cells, reasons in conn.execute(f"""
                select l.row_number, l.raw_values, l.reasons from raw_sheets.leads_quarantine as l
                where l.row_number >= %s and {_not_stored(row_id)}
                order by l.row_number""", (first_row,)).fetchall():
            if reasons and all(str(reason).startswith(DUPLICATE_REASON) for reason in reasons):
                result["duplicates"] += 1
            else:
                result["quarantined"].append((row_number, cells or []))
    return result


def _quarantined_records(context: AssetExecutionContext, rows: list[tuple[int, list[str]]]) -> list[dict[str, Any]]:
    """Rows the load quarantined, keyed by the tab's header (read from the sheet) so that the engine
    quarantines them with the same reasons and raw record as the sensor would."""
    from orchestration.lead_sensor import fetch_values, sheet_endpoint

    try:
        header = (fetch_values(sheet_endpoint(), f"{LEADS_TAB}!1:1") or [[]])[0]
    except (OSError, RuntimeError) as error:
        context.log.warning(f"{len(rows)} quarantined sheet rows not copied to ops.lead_quarantine: cannot read "
                            f"the {LEADS_TAB} header ({error})")
        return []
    return [sheet_record(header, cells, row_number) for row_number, cells in rows]


def _crm_candidates(conn: Any, since: Any) -> list[dict[str, Any]]:
    """HubSpot contacts created since `since` in lifecycle stage lead, not worked yet, with a phone, that no sheet
    lead carries (by lead_id) and ops does not store. Properties are read through to_jsonb: a portal that
    never sent one has no column for it."""
    if not table_exists(conn, "raw_crm.contacts"):
        return []
    mirrors = ["exists (select 1 from ops.leads as e where e.external_id = c.p ->> 'lead_id')"]
    if table_exists(conn, "raw_sheets.leads"):
        mirrors.append("exists (select 1 from raw_sheets.leads as s where s.lead_id = c.p ->> 'lead_id')")
    row_id = f"'{CRM_ROW_PREFIX}' || (c.p ->> 'id')"
    rows = conn.execute(f"""
        select c.p from (select to_jsonb(r) as p from raw_crm.contacts as r where r.created_at >= %s) as c
        where c.p ->> 'lifecyclestage' = 'lead'
          and coalesce(nullif(c.p ->> 'hs_lead_status', ''), 'NEW') = 'NEW'
          and coalesce(btrim(c.p ->> 'phone'), '') <> ''
          and coalesce((c.p ->> 'archived')::boolean, false) = false
          and not (c.p ->> 'lead_id' is not null and ({' or '.join(mirrors)}))
          and {_not_stored(row_id)}
        order by c.p ->> 'created_at', c.p ->> 'id'""", (since,)).fetchall()
    records = []
    for (contact,) in rows:
        metadata = {"hubspot_contact_id": contact.get("id"), "email": contact.get("email"),
                    "job_title": contact.get("jobtitle"), "company_id": contact.get("associatedcompanyid"),
                    "owner_id": contact.get("hubspot_owner_id"), "lead_id": contact.get("lead_id")}
        records.append({
            "name": " ".join(part for part in (contact.get("firstname"), contact.get("lastname")) if part),
            "phone": contact.get("phone"),
            "timestamp": contact.get("created_at"),
            "lead_source": contact.get("hs_analytics_source"),
            "city": contact.get("city"),
            "state": contact.get("state"),
            "metadata": {key: value for key, value in metadata.items() if value is not None},
            "source_row_id": f"{CRM_ROW_PREFIX}{contact.get('id')}",
        })
    return records


lead_routing_assets = [ops_callers, ops_lead_assignments]
