"""The environment Dagster processes need: instance home, storage URL and local artifact dirs.

`dagster.yaml` reads only environment variables; this module fills them from the same warehouse
resolution every other component uses, so the CLI, `make ui` and tests agree on one instance.
"""

from __future__ import annotations

import os

from salesops.settings import PROJECT_ROOT, data_dir


def sqlalchemy_url(url: str) -> str:
    """dagster-postgres speaks psycopg2 through SQLAlchemy, whose 2.1 default driver is psycopg 3."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


def dagster_environment(warehouse_url: str) -> dict[str, str]:
    """Variables that point Dagster at this checkout's instance in the warehouse."""
    artifacts = data_dir() / "dagster"
    logs = artifacts / "compute_logs"
    logs.mkdir(parents=True, exist_ok=True)
    return {
        "DAGSTER_HOME": str(PROJECT_ROOT),
        "DAGSTER_PG_URL": sqlalchemy_url(os.environ.get("DAGSTER_PG_URL") or warehouse_url),
        "SALESOPS_DAGSTER_DIR": str(artifacts),
        "SALESOPS_DAGSTER_LOGS_DIR": str(logs),
    }


def configure_dagster_environment(warehouse_url: str) -> None:
    """Export `dagster_environment` into this process (for in-process runs and child processes)."""
    os.environ.update(dagster_environment(warehouse_url))
