"""Where the project keeps its local state, and which warehouse it talks to.

Everything a checkout writes at run time lives under one data directory (`.data/` by default,
git-ignored), so two checkouts on one machine never share a server, a port or a pipeline state.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
WAREHOUSE_DATABASE = "salesops"


def data_dir() -> Path:
    """The checkout's run-time state directory (`SALESOPS_DATA_DIR` overrides it, tests use that)."""
    path = Path(os.environ.get("SALESOPS_DATA_DIR", PROJECT_ROOT / ".data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def external_warehouse_url() -> str | None:
    """The user's own PostgreSQL, when `WAREHOUSE_URL` is set; None means the embedded server."""
    url = os.environ.get(WAREHOUSE_URL_ENV, "").strip()
    return url or None


def dlt_pipelines_dir() -> Path:
    """Where dlt keeps pipeline working state (`SALESOPS_DLT_DIR` overrides it, per test)."""
    return Path(os.environ.get("SALESOPS_DLT_DIR", data_dir() / "dlt"))
