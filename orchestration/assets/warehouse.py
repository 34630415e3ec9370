"""Warehouse assets: every dbt model, seed and snapshot, with dbt tests as asset checks.

Specs come from `dbt_project/target/dagster_specs.json`, written by `orchestration.dbt_prepare` at
install/test time, so importing the code location parses nothing and never imports dbt. The
warehouse is built per business day: one daily-partitioned multi-asset whose incremental models
process the partition window (`min_date`/`max_date`), and whose backfills run as a single dbt
invocation over the whole window. (Partitioning only the incremental models would make Dagster
alternate between two multi-assets that depend on each other.) Error-severity dbt tests are
blocking checks: a failure stops the assets downstream of the tested model.
"""

import json
import warnings
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    multi_asset,
)

from orchestration.partitions import DAILY_PARTITIONS
from orchestration.resources import WarehouseResource
from salesops.dbt_env import DBT_PROJECT_DIR

SPECS_PATH = DBT_PROJECT_DIR / "target" / "dagster_specs.json"


def load_specs() -> dict[str, Any]:
    """The prepared specs; a clear error when the project was never prepared."""
    if not SPECS_PATH.exists():
        raise FileNotFoundError(
            f"{SPECS_PATH} is missing: run `make install` (or `.venv/bin/python -m orchestration.dbt_prepare`)")
    specs = json.loads(SPECS_PATH.read_text())
    from orchestration.dbt_prepare import project_fingerprint

    if specs["fingerprint"] != project_fingerprint():
        warnings.warn("dbt project changed since its Dagster specs were prepared: run "
                      "`.venv/bin/python -m orchestration.dbt_prepare`", stacklevel=2)
    return specs


def _asset_spec(entry: dict[str, Any]) -> AssetSpec:
    schema, name = entry["key"]
    return AssetSpec(
        key=AssetKey(entry["key"]),
        deps=[AssetKey(dep) for dep in entry["deps"]],
        group_name=entry["group"],
        description=entry["description"],
        kinds=set(entry["kinds"]),
        tags=entry["tags"],
        skippable=True,  # dbt skips what sits downstream of a failure
        metadata={"dagster/table_name": f"{schema}.{name}", "dbt/unique_id": entry["unique_id"]},
    )


def build_warehouse_assets() -> AssetsDefinition:
    specs = load_specs()
    entries, checks = specs["assets"], specs["checks"]
    selectors = {AssetKey(entry["key"]): entry["selector"] for entry in entries}
    check_specs = [
        AssetCheckSpec(name=check["name"], asset=AssetKey(check["asset_key"]), description=check["description"],
                       blocking=check["blocking"], additional_deps=[AssetKey(d) for d in check["additional_deps"]])
        for check in checks if AssetKey(check["asset_key"]) in selectors
    ]

    @multi_asset(
        name="warehouse_dbt",
        specs=[_asset_spec(entry) for entry in entries],
        check_specs=check_specs,
        can_subset=True,
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=BackfillPolicy.single_run(),
        pool="dbt",
    )
    def warehouse_dbt(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
        from orchestration.dbt_run import run_dbt_build

        selected = sorted(selectors[key] for key in context.selected_asset_keys)
        yield from run_dbt_build(context, warehouse.connection_url(), selected)

    return warehouse_dbt


warehouse_assets = [build_warehouse_assets()]
