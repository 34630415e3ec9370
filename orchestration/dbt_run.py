"""Running `dbt build` for a Dagster step and reporting each node back as a materialisation or check
result. Imported inside the step only (dagster_dbt and dbt-core take seconds to import)."""

import json
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetExecutionContext,
    AssetMaterialization,
    Failure,
    MaterializeResult,
)
from dagster_dbt import DbtCliResource

from orchestration.dbt_prepare import MANIFEST_PATH
from orchestration.dbt_translator import WarehouseTranslator
from salesops.dbt_env import DBT_PROJECT_DIR, dbt_environment


def partition_vars(context: AssetExecutionContext) -> dict[str, str]:
    """`min_date`/`max_date` (inclusive business dates) of the step's partition window, if any."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return {}
    window = context.partition_time_window
    return {"min_date": window.start.date().isoformat(),
            "max_date": (window.end - timedelta(days=1)).date().isoformat()}


def run_dbt_build(context: AssetExecutionContext, warehouse_url: str, selected: list[str]) -> Iterator[Any]:
    """`dbt build --select <selected>`; yields a result per built node and test, fails the step on errors."""
    os.environ.update(dbt_environment(warehouse_url))
    dbt = DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                         dbt_executable=str(Path(sys.executable).with_name("dbt")))
    args = ["build", "--select", " ".join(selected)]  # one argument: dagster_dbt re-parses the selection
    dbt_vars = partition_vars(context)
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    invocation = dbt.cli(args, manifest=MANIFEST_PATH, dagster_dbt_translator=WarehouseTranslator(),
                         raise_on_error=False)
    selected_keys = context.selected_asset_keys
    selected_checks = context.selected_asset_check_keys
    for event in invocation.stream():
        if isinstance(event, AssetMaterialization) and event.asset_key in selected_keys:
            yield MaterializeResult(asset_key=event.asset_key, metadata=event.metadata)
        elif isinstance(event, AssetCheckEvaluation) and event.asset_check_key in selected_checks:
            yield AssetCheckResult(asset_key=event.asset_key, check_name=event.check_name, passed=event.passed,
                                   severity=event.severity, metadata=event.metadata)
    if not invocation.is_successful():
        raise Failure(f"dbt build failed: {invocation.get_error()}")
