"""The Dagster code location: fast import, asset keys and groups, in-process materialisation with
the instance stored in PostgreSQL (dagster.yaml)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from salesops.settings import PROJECT_ROOT

HEAVY = ("prophet", "lightgbm", "mlflow", "great_expectations", "ortools", "sklearn", "dbt.cli.main")
EXPECTED_GROUPS = {
    "crm": {"owners", "deal_pipelines", "products", "goal_targets", "deals", "companies", "contacts", "calls", "emails",
            "meetings"},
    "marketing": {"campaigns", "campaign_daily_metrics", "engagement_events"},
    "sheets": {"leads", "callers", "targets"},
}


def test_definitions_import_fast_without_heavy_libraries():
    probe = (
        "import json, sys, time; t = time.perf_counter(); import orchestration.definitions; "
        "print(json.dumps({'seconds': time.perf_counter() - t, "
        f"'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            timeout=60, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
    assert report["seconds"] <= 5.0, report


def test_asset_keys_and_groups():
    """Snapshot of the raw layer's keys and groups; dbt assets keyed `<schema>/<model>`, grouped by layer."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    raw_groups: dict[str, set[str]] = {}
    dbt_groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        group = graph.get(key).group_name
        if key.path[0] == "raw":
            _, system, table = key.path
            assert system == group
            raw_groups.setdefault(group, set()).add(table)
        else:
            dbt_groups.setdefault(group, set()).add("/".join(key.path))
    assert raw_groups == EXPECTED_GROUPS
    assert {"staging/stg_hubspot__deals", "staging/stg_sheets__leads"} <= dbt_groups["staging"]
    assert {"marts/fct_deals", "marts/fct_quota_attainment"} <= dbt_groups["marts_sales"]
    assert {"marts/dim_date", "marts/dim_rep"} <= dbt_groups["marts_core"]
    assert "snapshots/snap_hubspot__owners" in dbt_groups["snapshots"]
    assert "marts/kpi_values" in dbt_groups["marts_kpis"]
    # staging reads the dlt assets: lineage is continuous from raw to marts
    assert AssetKey(["raw", "crm", "deals"]) in graph.get(AssetKey(["staging", "stg_hubspot__deals"])).parent_keys


def test_dbt_tests_are_blocking_checks_and_quality_checks_guard_raw():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    deals_checks = [spec for key, spec in checks.items() if key.asset_key == AssetKey(["marts", "fct_deals"])]
    assert deals_checks and all(spec.blocking for spec in deals_checks if "unique" in spec.name)
    assert any(spec.name == "assert_bookings_reconcile_with_raw" and spec.blocking for spec in deals_checks)
    raw_checks = {key.asset_key for key, spec in checks.items() if spec.name == "great_expectations"}
    assert {AssetKey(["raw", "crm", "deals"]), AssetKey(["raw", "sheets", "leads"])} <= raw_checks


def test_catalogue_matches_the_dlt_sources():
    from ingestion.catalog import RAW_TABLES
    from ingestion.pipelines import make_source
    offline = {"base_url": "http://offline.invalid"}
    credentials = {"crm": {"access_token": "-"}, "marketing": {"access_token": "-"},
                   "sheets": {"api_key": "-", "spreadsheet_id": "-"}}
    for system, tables in RAW_TABLES.items():
        assert set(make_source(system, **offline, **credentials[system]).resources) == set(tables), system


def test_daily_job_and_schedule():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily_refresh")
    assert AssetKey(["raw", "crm", "deals"]) in job.asset_layer.asset_graph.get_all_asset_keys()
    assert job.partitions_def is not None  # one business day per run
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    assert schedule.execution_timezone == "Asia/Kolkata" and schedule.cron_schedule == "0 2 * * *"


def test_ml_training_is_weekly_and_scores_are_daily():
    """Training (challenger -> gate -> champion, revenue forecast) has its own weekly job; the daily refresh
    scores with the champion but never trains."""
    from orchestration.definitions import defs

    daily = defs.resolve_job_def("daily_refresh").asset_layer.executable_asset_keys
    training = defs.resolve_job_def("ml_training").asset_layer.executable_asset_keys
    assert {AssetKey(["ml", "deal_scores"]), AssetKey(["ml", "lead_scores"])} <= daily
    assert {AssetKey(["ml", "deal_win_challenger"]), AssetKey(["ml", "deal_win_champion"]),
            AssetKey(["ml", "revenue_forecast"])} <= training
    assert not training & daily
    schedule = defs.resolve_schedule_def("ml_training_schedule")
    assert schedule.execution_timezone == "Asia/Kolkata" and schedule.cron_schedule == "0 4 * * 1"


def test_daily_refresh_materializes_in_process_on_the_postgres_instance(simulator, sources_env, warehouse_db,
                                                                        monkeypatch, tmp_path):
    """Ingestion, great-expectations checks and the dbt build, one business day, on the Postgres-backed instance."""
    import psycopg

    from orchestration.assets.ingestion import ingestion_assets
    from orchestration.assets.quality_checks import quality_checks
    from orchestration.assets.warehouse import warehouse_assets
    from orchestration.partitions import DAILY_PARTITIONS
    from orchestration.resources import WarehouseResource
    from salesops.dagster_env import dagster_environment

    for name, value in dagster_environment(warehouse_db).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SALESOPS_DAGSTER_DIR", str(tmp_path / "dagster"))
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = materialize([*ingestion_assets, *warehouse_assets, *quality_checks], instance=instance,
                             partition_key=DAILY_PARTITIONS.get_last_partition_key(),
                             resources={"warehouse": WarehouseResource(url=warehouse_db)})
        assert result.success
        materialized = {event.asset_key for event in result.get_asset_materialization_events()}
        assert {AssetKey(["raw", "sheets", "leads"]), AssetKey(["raw", "crm", "deals"]),
                AssetKey(["snapshots", "snap_hubspot__owners"]), AssetKey(["marts", "fct_deals"]),
                AssetKey(["marts", "kpi_values"])} <= materialized
        evaluations = result.get_asset_check_evaluations()
        assert any(e.asset_key == AssetKey(["marts", "fct_deals"]) and e.passed for e in evaluations)
        assert any(e.check_name == "great_expectations" and e.passed for e in evaluations)
        assert instance.get_run_records()[0].dagster_run.run_id == result.run_id

    # the read-only analyst role sees the marts and nothing upstream
    with psycopg.connect(warehouse_db, autocommit=True) as conn:
        conn.execute("SET ROLE analyst")
        assert conn.execute("SELECT count(*) FROM marts.fct_deals").fetchone()[0] > 0
        for table in ("raw_crm.deals", "staging.stg_hubspot__deals"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
