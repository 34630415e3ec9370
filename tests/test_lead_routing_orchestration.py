"""Lead routing in Dagster: `new_leads_sensor` evaluated directly (no daemon) against the test simulator and a
fresh warehouse, its small raw-load job, and the batch assets of the daily refresh (`ops/callers`,
`ops/lead_assignments`), idempotent on rerun."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg
import requests
from dagster import AssetKey, Definitions, build_sensor_context, instance_for_test, materialize

from orchestration import lead_sensor
from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.lead_routing import ASSIGNMENTS_KEY, CALLERS_KEY, lead_routing_assets
from orchestration.lead_sensor import RAW_LOAD_JOB, new_leads_sensor, sheets_leads_load_job
from orchestration.resources import WarehouseResource
from salesops.assignment import sync_callers
from simulator.live import LiveLeadFeed, make_lead_rows

CALLERS = [{"name": "Asha", "states": "Maharashtra;Karnataka", "daily_limit": 0},
           {"name": "Bala", "daily_limit": 0}]


def append_rows(simulator, rows: list[list[str]]) -> int:
    """Append through the simulator's control endpoint, as a form would; returns the tab's row count."""
    response = requests.post(f"{simulator.url}/_simulator/leads", json={"rows": rows}, timeout=10)
    response.raise_for_status()
    return response.json()["rows"]


def sheet_rows(simulator) -> int:
    with simulator.lock:
        return len(simulator.world.sheets["Leads"])


def tick(instance, warehouse_db: str, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor, sensor_name=new_leads_sensor.name,
                                   resources={"warehouse": WarehouseResource(url=warehouse_db)})
    return new_leads_sensor(context)


def scalar(conn, query: str, *params):
    return conn.execute(query, params).fetchone()[0]


def test_definitions_register_the_sensor_job_and_batch_assets():
    from orchestration.definitions import defs

    daily = defs.resolve_job_def("daily_refresh").asset_layer.executable_asset_keys
    assert {CALLERS_KEY, ASSIGNMENTS_KEY} <= daily
    graph = defs.resolve_asset_graph()
    assert graph.get(ASSIGNMENTS_KEY).group_name == "lead_routing"
    assert {AssetKey(["raw", "sheets", "leads"]), AssetKey(["raw", "crm", "contacts"]), CALLERS_KEY} <= \
        graph.get(ASSIGNMENTS_KEY).parent_keys
    assert AssetKey(["raw", "sheets", "callers"]) in graph.get(CALLERS_KEY).parent_keys
    assert defs.resolve_job_def(RAW_LOAD_JOB).asset_layer.executable_asset_keys == {
        AssetKey(["raw", "sheets", "leads"])}
    sensor = defs.resolve_sensor_def("new_leads_sensor")
    assert sensor.default_status.value == "STOPPED" and sensor.minimum_interval_seconds <= 5
    assert sensor.job_name == RAW_LOAD_JOB


def test_sensor_routes_new_sheet_rows_once_quarantines_bad_ones_and_requests_the_raw_load(
        simulator, sources_env, warehouse_db, monkeypatch):
    calls: list[str] = []
    fetch = lead_sensor.fetch_values

    def counting_fetch(endpoint, a1_range):
        calls.append(a1_range)
        return fetch(endpoint, a1_range)

    monkeypatch.setattr(lead_sensor, "fetch_values", counting_fetch)
    monkeypatch.setenv("SALESOPS_LEADS_RAW_LOAD_SECONDS", "3600")
    with psycopg.connect(warehouse_db, autocommit=True) as conn, instance_for_test() as instance:
        assert sync_callers(conn, CALLERS).added == ["Asha", "Bala"]

        # first tick on a new warehouse: starts at the end of the tab, history is the batch's business
        first = tick(instance, warehouse_db, None)
        start_row = json.loads(first.cursor)["row"]
        assert start_row == sheet_rows(simulator) and not first.run_requests and not first.asset_events

        # the live feed appends rows, about a third malformed (every kind)
        feed = LiveLeadFeed(simulator, rate_per_minute=1200, malformed_share=0.35, seed=7)
        with feed:
            deadline = time.monotonic() + 10
            while sum(feed.appended.values()) < 24 and time.monotonic() < deadline:
                time.sleep(0.05)
        appended = Counter(feed.appended)
        end_row = sheet_rows(simulator)
        assert end_row - start_row == sum(appended.values()) >= 24

        second = tick(instance, warehouse_db, first.cursor)
        cursor = json.loads(second.cursor)
        assert cursor["row"] == end_row
        valid = appended["valid"] + appended["unknown_state"] + appended["unicode_noise"]
        quarantined = appended["empty_phone"] + appended["bad_timestamp"]
        (event,) = second.asset_events
        assert event.asset_key == AssetKey(["ops", "lead_assignments"])
        metadata = {name: value.value for name, value in event.metadata.items()}
        assert metadata["inserted"] == metadata["assigned"] == valid
        assert metadata["quarantined"] == quarantined
        assert metadata["duplicates"] == appended["exact_duplicate"] + appended["reformatted_duplicate"]
        assert sum(metadata["by_caller"].values()) == valid
        (request,) = second.run_requests  # the first raw load goes out at once
        assert request.run_key == f"{RAW_LOAD_JOB}:{start_row + 1}-{end_row}"
        assert scalar(conn, "select count(*) from ops.leads where source_row_id like 'sheets:Leads:%%'") == valid
        assert scalar(conn, """select count(*) from ops.leads as l join ops.lead_assignments as a
                               on a.lead_id = l.id and a.status = 'active'""") == valid
        errors = [row[0] for row in conn.execute("select errors from ops.lead_quarantine").fetchall()]
        assert len(errors) == quarantined
        assert sum("missing phone" in e for e in errors) == appended["empty_phone"]
        assert sum(any(x.startswith("unparseable timestamp") for x in e) for e in errors) == appended["bad_timestamp"]

        # nothing new: one small request, no database, no run, the cursor stays
        calls.clear()

        def no_database(*args, **kwargs):
            raise AssertionError("a tick with nothing new must not touch the warehouse")

        with monkeypatch.context() as patch:
            patch.setattr(psycopg, "connect", no_database)
            started = time.perf_counter()
            third = tick(instance, warehouse_db, second.cursor)
            elapsed = time.perf_counter() - started
        assert calls == [f"Leads!{end_row + 1}:{end_row + lead_sensor.MAX_ROWS_PER_FETCH}"]
        assert third.skip_reason and not third.run_requests and not third.asset_events and elapsed < 1.0
        assert json.loads(third.cursor)["row"] == end_row

        # a hand-typed batch within the raw-load interval: routed now, its raw load deferred ...
        rows = make_lead_rows(3, random.Random(11), now=datetime.now(UTC), malformed_share=0.0)
        rows.append(["Broken Row", "12", "2026-11-21 10:00:00", "Website", "Pune", "Maharashtra", "", "{}"])
        rows.append(["", "", "", "", "", "", "", ""])  # a blank line: skipped, yet the cursor passes it
        rows.append(["Late Row", "98450 12345", "2026-11-21 10:05:00", "Referral", "Mysuru", "", "Kannada", ""])
        last = append_rows(simulator, rows)
        fourth = tick(instance, warehouse_db, third.cursor)
        assert json.loads(fourth.cursor)["row"] == last and not fourth.run_requests
        metadata = {name: value.value for name, value in fourth.asset_events[0].metadata.items()}
        assert (metadata["inserted"], metadata["quarantined"]) == (4, 1)
        late = conn.execute("select state, validation_warnings from ops.leads where source_row_id = %s",
                            (f"sheets:Leads:{last}",)).fetchone()
        assert late[0] == "Karnataka" and "state missing" in late[1][0]

        # ... and requested once the interval has passed, for every row routed since the last request
        monkeypatch.setenv("SALESOPS_LEADS_RAW_LOAD_SECONDS", "0")
        fifth = tick(instance, warehouse_db, fourth.cursor)
        (request,) = fifth.run_requests
        assert request.run_key == f"{RAW_LOAD_JOB}:{end_row + 1}-{last}"
        assert json.loads(fifth.cursor)["raw_row"] == last

        # re-running rows (a tick that failed before its cursor moved) changes nothing
        routed = scalar(conn, "select count(*) from ops.lead_assignments")
        replay = tick(instance, warehouse_db, json.dumps({"row": start_row, "raw_row": last}))
        metadata = {name: value.value for name, value in replay.asset_events[0].metadata.items()}
        assert metadata["inserted"] == 0 and metadata["quarantined"] == quarantined + 1
        assert metadata["duplicates"] == valid + 4 + appended["exact_duplicate"] + appended["reformatted_duplicate"]
        assert scalar(conn, "select count(*) from ops.lead_assignments") == routed
        assert scalar(conn, "select count(*) from ops.lead_quarantine") == quarantined + 1

        # the requested job loads the Leads tab only, with the same quarantine rules
        result = Definitions(assets=ingestion_assets, jobs=[sheets_leads_load_job],
                             resources={"warehouse": WarehouseResource(url=warehouse_db)}) \
            .resolve_job_def(RAW_LOAD_JOB).execute_in_process(instance=instance)
        assert result.success
        loaded = {e.asset_key for e in result.get_asset_materialization_events()}
        assert loaded == {AssetKey(["raw", "sheets", "leads"])}
        assert scalar(conn, "select max(row_number) from raw_sheets.leads") == last
        assert scalar(conn, "select count(*) from raw_sheets.leads_quarantine where row_number > %s", start_row) \
            == quarantined + 1 + appended["exact_duplicate"] + appended["reformatted_duplicate"]
        assert scalar(conn, "select to_regclass('raw_sheets.callers')") is None

        # a first tick on a warehouse that knows the sheet resumes after the last known row
        assert json.loads(tick(instance, warehouse_db, None).cursor)["row"] == last


def test_batch_assets_route_recent_leads_and_callers_idempotently(simulator, sources_env, warehouse_db):
    rows = make_lead_rows(5, random.Random(3), now=datetime.now(UTC), malformed_share=0.0)
    rows.append(["No Phone", "", "2026-11-21 11:00:00", "Website", "Pune", "Maharashtra", "", ""])
    rows.append(list(rows[0]))  # an automation retry: the load quarantines it as a duplicate
    last = append_rows(simulator, rows)
    resources = {"warehouse": WarehouseResource(url=warehouse_db)}
    sheets_and_crm = [assets for assets in ingestion_assets if assets.node_def.name in ("sheets_ingestion",
                                                                                       "crm_ingestion")]
    with instance_for_test() as instance:
        result = materialize([*sheets_and_crm, *lead_routing_assets], resources=resources, instance=instance)
        assert result.success
        events = {e.asset_key: e for e in result.get_asset_materialization_events()}
        callers = {k: v.value for k, v in events[CALLERS_KEY].materialization.metadata.items()}
        first = {k: v.value for k, v in events[ASSIGNMENTS_KEY].materialization.metadata.items()}
        with psycopg.connect(warehouse_db, autocommit=True) as conn:
            sheet_callers = len(simulator.world.sheets["Callers"]) - 1
            assert len(callers["added"]) == scalar(conn, "select count(*) from ops.callers") == sheet_callers
            # the window is the tail of the sheet: what this module's tests appended, not the history
            first_row = first["first_sheet_row"]
            assert first_row > 2 and first_row <= last - len(rows) + 1
            in_window = scalar(conn, "select count(*) from raw_sheets.leads where row_number >= %s", first_row)
            assert first["inserted"] == in_window == scalar(conn, "select count(*) from ops.leads")
            assert first["assigned"] + first["unassigned"] == first["inserted"]
            assert sum(first["by_caller"].values()) == first["assigned"]
            assert first["by_source"]["crm"]["received"] == 0  # simulated CRM leads mirror sheet rows
            no_phone = conn.execute("select source, errors from ops.lead_quarantine where source_row_id = %s",
                                    (f"sheets:Leads:{last - 1}",)).fetchone()
            assert no_phone == ("sheets", ["missing phone"])
            assert first["quarantined"] >= 1 and first["duplicates"] >= 1
            assert scalar(conn, "select duplicate_count from ops.leads where source_row_id = %s",
                          f"sheets:Leads:{last - len(rows) + 1}") == 0
            stored = conn.execute("select count(*), sum(duplicate_count) from ops.leads").fetchone()

            # a rerun stores nothing new and counts no duplicates
            again = materialize([*sheets_and_crm, *lead_routing_assets], resources=resources, instance=instance,
                                selection=[CALLERS_KEY, ASSIGNMENTS_KEY])
            assert again.success
            events = {e.asset_key: e for e in again.get_asset_materialization_events()}
            metadata = {k: v.value for k, v in events[ASSIGNMENTS_KEY].materialization.metadata.items()}
            assert (metadata["inserted"], metadata["quarantined"]) == (0, 0)
            assert events[CALLERS_KEY].materialization.metadata["unchanged"].value == sheet_callers
            assert conn.execute("select count(*), sum(duplicate_count) from ops.leads").fetchone() == stored

            # with a long lookback, CRM leads that no sheet row carries are routed as crm:<id>, mirrored ones not
            years = materialize([*sheets_and_crm, *lead_routing_assets], resources=resources, instance=instance,
                                selection=[ASSIGNMENTS_KEY], run_config={"ops": {"ops__lead_assignments": {
                                    "config": {"lookback_hours": 24 * 365 * 6}}}})
            assert years.success
            crm = scalar(conn, "select count(*) from ops.leads where source = 'crm'")
            eligible = scalar(conn, """select count(*) from raw_crm.contacts where lifecyclestage = 'lead'
                and coalesce(hs_lead_status, 'NEW') = 'NEW' and coalesce(phone, '') <> '' and lead_id is null""")
            assert crm > 0 and crm + scalar(conn, """select count(*) from ops.lead_quarantine
                where source_row_id like 'crm:%%'""") == eligible
            assert scalar(conn, """select count(*) from (select external_id from ops.leads where external_id is not null
                group by 1 having count(*) > 1) as twice""") == 0
