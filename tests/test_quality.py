"""Data quality of the raw loads: the committed GX suites pass on clean simulator data, a critical
failure blocks downstream assets in a Dagster run, and a warning-only failure does not."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from dagster import AssetChecksDefinition, AssetCheckSeverity, AssetKey, asset, materialize

from ingestion.catalog import RAW_TABLES
from ingestion.pipelines import SYSTEMS, run_pipeline
from orchestration.assets.ingestion import raw_asset_key
from orchestration.assets.quality_checks import quality_checks
from orchestration.resources import WarehouseResource
from quality.validation import suite_targets, validate_table
from salesops.geography import STATES
from salesops.settings import PROJECT_ROOT


def _check_for(key: AssetKey) -> AssetChecksDefinition:
    return next(check for check in quality_checks if any(k.asset_key == key for k in check.check_keys))


def test_suites_are_well_formed_and_match_the_raw_catalogue():
    targets = suite_targets()
    assert {(t.schema, t.table) for t in targets} >= {
        ("raw_sheets", "leads"), ("raw_sheets", "callers"), ("raw_sheets", "targets"), ("raw_crm", "deals"),
        ("raw_crm", "calls"), ("raw_crm", "emails"), ("raw_crm", "meetings"),
        ("raw_marketing", "campaign_daily_metrics")}
    for target in targets:
        assert target.table in RAW_TABLES[target.schema.removeprefix("raw_")], target
        suite = json.loads(target.path.read_text())
        assert suite["name"] == f"{target.schema}.{target.table}"
        for expectation in suite["expectations"]:
            assert expectation["severity"] in ("critical", "warning"), expectation
            assert expectation["meta"]["why"], expectation
    leads = json.loads(next(t for t in targets if t.table == "leads").path.read_text())
    (state_set,) = [e for e in leads["expectations"] if e["kwargs"].get("column") == "state"]
    assert set(state_set["kwargs"]["value_set"]) == set(STATES)
    assert len(quality_checks) == len(targets)
    assert all(spec.blocking for check in quality_checks for spec in check.check_specs)


def test_checks_load_without_importing_great_expectations():
    probe = ("import sys; import orchestration.assets.quality_checks; "
             "print('great_expectations' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_suites_pass_on_clean_data_and_catch_an_unknown_deal_stage(sources_env, warehouse_db):
    for system in SYSTEMS:
        run_pipeline(system, warehouse_db)
    for target in suite_targets():
        summary = validate_table(warehouse_db, target.schema, target.table, target.path)
        assert summary.results and all(r.success for r in summary.results), [r.label() for r in summary.results]

    with psycopg.connect(warehouse_db, autocommit=True) as conn:
        conn.execute("update raw_crm.deals set dealstage = 'bogus' where id = (select min(id) from raw_crm.deals)")
    deals = next(t for t in suite_targets() if t.table == "deals")
    summary = validate_table(warehouse_db, deals.schema, deals.table, deals.path)
    assert [(r.column, r.unexpected_count, r.partial_unexpected_list) for r in summary.blocking_failures] == [
        ("dealstage", 1, ["bogus"])]
    assert summary.warnings == []


@pytest.mark.parametrize(("table", "corruption", "severity", "blocks"), [
    pytest.param("callers", "update raw_sheets.callers set daily_limit = -5 "
                            "where name = (select min(name) from raw_sheets.callers)",
                 AssetCheckSeverity.ERROR, True, id="critical-blocks"),
    pytest.param("leads", "update raw_sheets.leads set state = 'Atlantis' "
                          "where row_number = (select min(row_number) from raw_sheets.leads)",
                 AssetCheckSeverity.WARN, False, id="warning-does-not-block"),
])
def test_failed_check_blocks_downstream_only_on_error(sources_env, warehouse_db, table, corruption, severity, blocks):
    run_pipeline("sheets", warehouse_db)
    with psycopg.connect(warehouse_db, autocommit=True) as conn:
        conn.execute(corruption)
    key = raw_asset_key("sheets", table)

    @asset(key=key)
    def raw_table() -> None:
        """Stand-in for the dlt load: the (corrupted) rows are already in the database."""

    @asset(deps=[key])
    def downstream() -> None:
        """Anything built on the raw table, e.g. a dbt staging model."""

    result = materialize([raw_table, _check_for(key), downstream],
                         resources={"warehouse": WarehouseResource(url=warehouse_db)}, raise_on_error=False)

    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == severity
    failures = evaluation.metadata["blocking_failures" if blocks else "warnings"].value
    assert len(failures) == 1 and "1 unexpected" in failures[0]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert (AssetKey("downstream") in materialized) is not blocks
    assert result.success is not blocks
