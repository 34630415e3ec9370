"""The environment dbt and MetricFlow need: the warehouse URL split into the variables `profiles.yml`
reads (dbt profiles cannot parse a URL), plus the project and profiles directories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from salesops.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# Flags of every production `dbt build` (the Dagster step, and the benchmark that mirrors it):
# - unit tests check SQL logic on fixed inputs, not data: they run in CI (`make test`), as dbt
#   recommends, not in every production run;
# - the debug-level file log (`logs/dbt.log`) is kept to warnings and errors: Dagster already
#   records every node's events, and writing each debug line under dbt's logging lock costs about
#   a fifth of a daily run's fixed per-node time.
PRODUCTION_BUILD_FLAGS = ("--exclude-resource-type", "unit_test", "--log-level-file", "warn")


def dbt_environment(warehouse_url: str) -> dict[str, str]:
    """Variables for `dbt_project/profiles.yml`, derived from the warehouse URL."""
    parts = urlsplit(warehouse_url)
    return {
        "SALESOPS_PG_HOST": parts.hostname or "127.0.0.1",
        "SALESOPS_PG_PORT": str(parts.port or 5432),
        "SALESOPS_PG_USER": unquote(parts.username or "postgres"),
        "SALESOPS_PG_PASSWORD": unquote(parts.password or ""),
        "SALESOPS_PG_DATABASE": parts.path.lstrip("/") or "salesops",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }


def run_tool(tool: str, *args: str, url: str, env: Mapping[str, str] | None = None,
             timeout: float | None = 900) -> subprocess.CompletedProcess[str]:
    """Run `dbt` or `mf` from this virtualenv in the dbt project against `url`, output captured (tests,
    benchmarks); `env` adds variables such as the run window."""
    return subprocess.run([str(Path(sys.executable).with_name(tool)), *args], cwd=DBT_PROJECT_DIR,
                          env={**os.environ, **dbt_environment(url), **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)
