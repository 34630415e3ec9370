"""dlt ingestion against the simulator and a real PostgreSQL: full loads, idempotent reruns,
incremental pickup, quarantine of malformed sheet rows, clear failures."""

from __future__ import annotations

import psycopg
import pytest
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.pipelines import make_source, run_pipeline


def load(system: str, url: str, **source_kwargs) -> dict[str, int]:
    """Run one system's pipeline; return rows loaded per table in that run."""
    return run_pipeline(system, url, make_source(system, **source_kwargs) if source_kwargs else None)


def count(url: str, table: str, where: str = "true") -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


def test_full_load_matches_the_source_systems(simulator, sources_env, warehouse_db):
    for system in ("crm", "marketing", "sheets"):
        load(system, warehouse_db)
    world = simulator.world
    for kind in ("companies", "contacts", "deals", "calls", "emails", "meetings", "products", "goal_targets"):
        assert count(warehouse_db, f"raw_crm.{kind}") == len(world.crm[kind]), kind
    assert count(warehouse_db, "raw_crm.owners") == len(world.owners)
    assert count(warehouse_db, "raw_crm.deal_pipelines") == len(world.pipelines)
    assert count(warehouse_db, "raw_marketing.campaigns") == len(world.campaigns)
    assert count(warehouse_db, "raw_marketing.campaign_daily_metrics") == sum(
        len(rows) for rows in world.campaign_daily.values())
    assert count(warehouse_db, "raw_marketing.engagement_events") == len(world.events)
    lead_rows = len(world.sheets["Leads"]) - 1
    loaded = count(warehouse_db, "raw_sheets.leads") + count(warehouse_db, "raw_sheets.leads_quarantine")
    assert loaded == lead_rows
    assert count(warehouse_db, "raw_sheets.callers") == len(world.sheets["Callers"]) - 1
    # stage history and associations arrive as child tables of deals
    assert count(warehouse_db, "raw_crm.deals__dealstage_history") >= len(world.crm["deals"])
    assert count(warehouse_db, "raw_crm.deals__companies_ids") > 0
    assert count(warehouse_db, "raw_crm.deals__calls_ids") > 0  # engagement links, seen from the deal


def test_rerun_duplicates_nothing(simulator, sources_env, warehouse_db):
    tables = ["raw_crm.deals", "raw_crm.calls", "raw_crm.contacts", "raw_crm.deals__dealstage_history",
              "raw_marketing.engagement_events", "raw_marketing.campaign_daily_metrics", "raw_sheets.leads",
              "raw_sheets.leads_quarantine"]
    for system in ("crm", "marketing", "sheets"):
        load(system, warehouse_db)
    before = {table: count(warehouse_db, table) for table in tables}
    second = {system: load(system, warehouse_db) for system in ("crm", "marketing", "sheets")}
    assert {table: count(warehouse_db, table) for table in tables} == before
    # incremental cursors: the second run fetched (almost) nothing again
    assert second["crm"].get("calls", 0) <= 1
    assert second["sheets"].get("leads", 0) == 0
    # merge keys are indexed, primary keys as unique (one row per key is what the merge keeps)
    with psycopg.connect(warehouse_db) as conn:
        indexes = {(schema, table): definition for schema, table, definition in conn.execute(
            "SELECT schemaname, tablename, indexdef FROM pg_indexes WHERE indexname LIKE '%merge_key'")}
        cursors = {(schema, table): definition for schema, table, definition in conn.execute(
            "SELECT schemaname, tablename, indexdef FROM pg_indexes WHERE indexname LIKE '%cursor'")}
        id_lists = {table for (table,) in conn.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = 'raw_crm' AND indexname LIKE '%ids__value'")}
        cursor_types = dict(conn.execute(
            """SELECT table_name, data_type FROM information_schema.columns
               WHERE (table_schema, table_name, column_name) IN (('raw_crm', 'calls', 'hs_lastmodifieddate'),
                     ('raw_crm', 'deals', 'updated_at'), ('raw_marketing', 'engagement_events', 'occurred_at'))"""))
    # the incremental cursors are typed timestamps and indexed: the daily dbt run reads new rows by them
    assert set(cursor_types.values()) == {"timestamp with time zone"} and len(cursor_types) == 3
    assert "(hs_lastmodifieddate)" in cursors["raw_crm", "calls"]
    assert "(updated_at)" in cursors["raw_crm", "deals"]
    assert "(occurred_at)" in cursors["raw_marketing", "engagement_events"]
    assert ("raw_sheets", "leads") not in cursors  # its cursor is the key: the unique index serves it
    assert {"deals__companies_ids", "deals__contacts_ids", "deals__calls_ids"} <= id_lists  # associations by id
    assert indexes["raw_crm", "calls"].startswith("CREATE UNIQUE INDEX") and "(id)" in indexes["raw_crm", "calls"]
    assert "(row_number)" in indexes["raw_sheets", "leads"]
    assert "campaign_id" in indexes["raw_marketing", "campaign_daily_metrics"]
    assert not indexes["raw_crm", "deals__dealstage_history"].startswith("CREATE UNIQUE")
    assert "(_dlt_root_id)" in indexes["raw_crm", "deals__dealstage_history"]


def test_new_records_arrive_incrementally(simulator, sources_env, warehouse_db):
    load("crm", warehouse_db)
    load("sheets", warehouse_db)
    deals_before = count(warehouse_db, "raw_crm.deals")
    leads_before = count(warehouse_db, "raw_sheets.leads") + count(warehouse_db, "raw_sheets.leads_quarantine")
    requests.post(f"{simulator.url}/_simulator/advance", params={"days": 2}, timeout=60).raise_for_status()
    world = simulator.world
    crm_rows = load("crm", warehouse_db)
    load("sheets", warehouse_db)
    assert count(warehouse_db, "raw_crm.deals") == len(world.crm["deals"]) > deals_before
    leads_after = count(warehouse_db, "raw_sheets.leads") + count(warehouse_db, "raw_sheets.leads_quarantine")
    assert leads_after == len(world.sheets["Leads"]) - 1 > leads_before
    # only what changed was fetched through the search endpoint
    assert 0 < crm_rows.get("calls", 0) < len(world.crm["calls"])


MALFORMED = [
    ["Asha Rao", "", "2026-11-20 10:00:00", "Website", "Pune", "Maharashtra", "Marathi", "{}"],
    ["Ravi Kumar", "+91 98450 12345", "31/02/2026 25:61", "Referral", "Mysuru", "Karnataka", "Kannada", "{}"],
    ["Meena Iyer", "98400 11111", "2026-11-20 11:00:00", "Website", "Chennai", "Tamil Nadu", "Tamil", "{not json"],
    ["Dup Lead", "+91 99887 76655", "2026-11-20 12:00:00", "Website", "Delhi", "Delhi", "Hindi", "{}"],
    ["Dup Lead", "099887 76655", "2026-11-20 12:00:00", "Website", "Delhi", "Delhi", "Hindi", "{}"],
]
GOOD = [
    ["\u00a0Kiran  Shah\u200b ", "\uff19\uff18\uff12\uff10\uff10 \uff15\uff15\uff15\uff15\uff15", "2026-11-20 13:00:00",
     "LinkedIn", "Bombay", "Atlantis", "Marathi", '{"lead_id": "X1"}'],
]


def test_malformed_sheet_rows_are_quarantined_with_reasons(simulator, sources_env, warehouse_db):
    load("sheets", warehouse_db)
    first_new_row = len(simulator.world.sheets["Leads"]) + 1
    requests.post(f"{simulator.url}/_simulator/leads", json={"rows": MALFORMED + GOOD}, timeout=30).raise_for_status()
    load("sheets", warehouse_db)
    with psycopg.connect(warehouse_db) as conn:
        reasons = dict(conn.execute(
            "SELECT row_number, reasons::text FROM raw_sheets.leads_quarantine WHERE row_number >= %s",
            (first_new_row,)).fetchall())
        good = conn.execute(
            "SELECT name, phone, state, city, validation_warnings::text FROM raw_sheets.leads WHERE row_number >= %s",
            (first_new_row,)).fetchall()
    assert "missing phone" in reasons[first_new_row]
    assert "unparseable timestamp" in reasons[first_new_row + 1]
    assert "metadata is not valid JSON" in reasons[first_new_row + 2]
    assert first_new_row + 3 not in reasons  # the first of two duplicates is kept
    assert "duplicate of sheet row" in reasons[first_new_row + 4]
    assert len(good) == 2
    cleaned = next(row for row in good if row[0] == "Kiran Shah")
    assert cleaned[1] == "+919820055555"  # full-width digits and spaces normalised to E.164
    assert cleaned[2] == "Maharashtra" and "unknown state" in cleaned[4]  # resolved from the city
    # the raw row is kept verbatim for review
    assert count(warehouse_db, "raw_sheets.leads_quarantine", "raw_values::text LIKE '%31/02/2026%'") == 1


def test_malformed_caller_rows_are_quarantined_not_made_unlimited(simulator, sources_env, warehouse_db):
    callers = simulator.world.sheets["Callers"]
    header = [cell.strip().lower() for cell in callers[0]]
    good = callers[1]

    def variant(name: str, **cells: str) -> list[str]:
        row = list(good)
        row[header.index("name")] = name
        for column, value in cells.items():
            row[header.index(column.replace("_", " "))] = value
        return row

    simulator.append_sheet_rows("Callers", [variant("Typo Limit", daily_limit="2o"),
                                            variant("Odd Status", status="on leave")])
    load("sheets", warehouse_db)
    with psycopg.connect(warehouse_db) as conn:
        reasons = dict(conn.execute("SELECT name, reasons::text FROM raw_sheets.callers_quarantine").fetchall())
        loaded = {row[0] for row in conn.execute("SELECT name FROM raw_sheets.callers")}
    assert "not a whole number" in reasons["Typo Limit"] and "'2o'" in reasons["Typo Limit"]
    assert "on leave" in reasons["Odd Status"]
    assert not {"Typo Limit", "Odd Status"} & loaded


def test_wrong_token_fails_with_a_clear_message(simulator, warehouse_db):
    with pytest.raises(PipelineStepFailed) as failure:
        load("crm", warehouse_db, base_url=simulator.url, access_token="not-the-token")
    message = str(failure.value)
    assert "credentials rejected" in message and "sources.crm.access_token" in message
    with pytest.raises(PipelineStepFailed) as failure:
        load("sheets", warehouse_db, base_url=simulator.url, api_key="wrong", spreadsheet_id="sim-sales-sheet")
    assert "sources.sheets.api_key" in str(failure.value) and "wrong" not in str(failure.value).split("api_key")[0]


def test_changed_data_type_stops_with_table_and_column(simulator, sources_env, warehouse_db):
    load("marketing", warehouse_db)
    daily = simulator.world.campaign_daily
    campaign = max(daily, key=lambda cid: daily[cid][-1]["date"] if daily[cid] else "")
    latest = daily[campaign][-1]
    original = dict(latest)
    latest["spend"] = "n/a"  # an ad platform answering text where a number was
    try:
        with pytest.raises(PipelineStepFailed) as failure:
            load("marketing", warehouse_db)
        message = str(failure.value)
        assert "campaign_daily_metrics" in message and "spend" in message and "freeze" in message
    finally:
        latest.update(original)


def test_search_pages_past_the_result_cap(warehouse_db):
    from simulator.server import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(scale=0.03, search_result_cap=200)) as server:
        rows = load("crm", warehouse_db, base_url=server.url, access_token=server.config.hubspot_token,
                    search_cap=200)
        assert rows["calls"] >= len(server.world.crm["calls"]) > 200
        assert count(warehouse_db, "raw_crm.calls") == len(server.world.crm["calls"])
