"""The sales-ops territory jobs on the shared built warehouse: `territory_reoptimization` runs with run config
and writes a versioned proposal (with quotas and a Markdown report) to `ops`; `apply_territory_plan` makes it
the alignment from its effective date only."""

from __future__ import annotations

import datetime

import psycopg
from dagster import DagsterInstance

from orchestration.resources import WarehouseResource
from orchestration.territory_jobs import apply_territory_plan, territory_reoptimization
from salesops.dbt_env import run_tool


def test_reoptimize_then_apply_from_an_effective_date(built_warehouse):
    from optimization.proposals import current_alignment

    url = built_warehouse["url"]
    resources = {"warehouse": WarehouseResource(url=url)}
    config = {"ops": {"propose_territories": {"config": {
        "balance_tolerance": 0.25, "max_disruption": 0.5, "time_limit_seconds": 20, "growth": 0.1}}}}
    with DagsterInstance.ephemeral() as instance:
        proposed = territory_reoptimization.execute_in_process(run_config=config, instance=instance,
                                                               resources=resources)
        assert proposed.success
        plan_id = proposed.output_for_node("propose_territories")
        report = proposed.get_asset_materialization_events()[0].materialization.metadata["report"]
        assert plan_id in report.value and "| potential |" in report.value
        with psycopg.connect(url) as conn:
            status, after, version = conn.execute(
                "select status, after_metrics, plan_version from ops.territory_plans where plan_id = %s",
                (plan_id,)).fetchone()
            assert status == "proposed" and version >= 1
            assert after["balance"]["potential"]["max_deviation"] <= 0.25 + 1e-9
            moved = conn.execute("select count(*) from ops.territory_plan_assignments where plan_id = %s and moved",
                                 (plan_id,)).fetchone()[0]
            assert conn.execute("select count(*) from ops.territory_plan_quotas where plan_id = %s",
                                (plan_id,)).fetchone()[0] > 0

            effective = conn.execute("select as_of_date from marts.int_kpi__as_of").fetchone()[0]
        applied = apply_territory_plan.execute_in_process(
            run_config={"ops": {"apply_territory_plan_op": {"config": {"plan_id": plan_id,
                                                                        "effective_date": str(effective)}}}},
            instance=instance, resources=resources)
        assert applied.success
    with psycopg.connect(url) as conn:
        assert current_alignment(conn, effective - datetime.timedelta(days=1)) == {}
        assert len(current_alignment(conn, effective)) == moved
        assert conn.execute("select status from ops.territory_plans where plan_id = %s",
                            (plan_id,)).fetchone()[0] == "applied"
    # the account dimension follows the alignment effective on the data's as-of date
    build = run_tool("dbt", "build", "--select", "dim_account", "--target-path",
                     str(built_warehouse["work"] / "target-territory"), url=url)
    assert build.returncode == 0, build.stdout[-3000:]
    with psycopg.connect(url) as conn:
        reassigned = conn.execute("""select count(*) from marts.dim_account
            where is_current and owner_rep_id <> crm_owner_rep_id and aligned_from = %s""", (effective,)).fetchone()[0]
    assert reassigned == moved
