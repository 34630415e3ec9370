"""Running `dbt build` for a Dagster step and reporting each node back as a materialisation or check
result. Imported inside the step only (dagster_dbt and dbt-core take seconds to import)."""

import os
import shutil
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
from salesops.dbt_env import DBT_PROJECT_DIR, PRODUCTION_BUILD_FLAGS, dbt_environment

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def partition_window_env(context: AssetExecutionContext) -> dict[str, str]:
    """The step's partition window (inclusive business dates) as the environment variables dbt's
    `run_window_date` macro reads; environment variables rather than `--vars`, because new vars make
    dbt re-parse the whole project on every run. Empty (cleared) without a partition."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return {"SALESOPS_DBT_MIN_DATE": "", "SALESOPS_DBT_MAX_DATE": ""}
    window = context.partition_time_window
    return {"SALESOPS_DBT_MIN_DATE": window.start.date().isoformat(),
            "SALESOPS_DBT_MAX_DATE": (window.end - timedelta(days=1)).date().isoformat()}


def run_dbt_build(context: AssetExecutionContext, warehouse_url: str, selected: list[str]) -> Iterator[Any]:
    """`dbt build --select <selected>`; yields a result per built node and test, fails the step on errors."""
    os.environ.update({**dbt_environment(warehouse_url), **partition_window_env(context)})
    dbt = DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                         dbt_executable=str(Path(sys.executable).with_name("dbt")))
    # One --select argument: dagster_dbt re-parses the selection.
    args = ["build", "--select", " ".join(selected), *PRODUCTION_BUILD_FLAGS]
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
    publish_partial_parse(invocation.target_path)


def publish_partial_parse(run_target: Path) -> None:
    """Make this run's parse state the one the next run starts from. dagster_dbt copies
    `target/partial_parse.msgpack` into each run, but the file prepared at install was parsed
    without the warehouse's connection details, and dbt re-parses everything (about 10 s) when they
    differ; the replace is atomic, so concurrent runs never see half a file."""
    produced = run_target / PARTIAL_PARSE_FILE
    if produced.exists():
        staged = DBT_PROJECT_DIR / "target" / f".{PARTIAL_PARSE_FILE}.{os.getpid()}"
        shutil.copyfile(produced, staged)
        os.replace(staged, DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE)
