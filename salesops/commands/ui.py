"""`salesops ui`: the Dagster webserver and daemon (`dagster dev`) against this checkout's instance."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("ui", help="start the Dagster webserver and daemon")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.set_defaults(handler=_ui)


def _ui(args: argparse.Namespace) -> int:
    from salesops.dagster_env import configure_dagster_environment
    from salesops.settings import PROJECT_ROOT
    from salesops.warehouse import warehouse_url
    from simulator.process import ensure_simulator

    configure_dagster_environment(warehouse_url())
    ensure_simulator()
    dagster = str(Path(sys.executable).parent / "dagster")
    os.chdir(PROJECT_ROOT)
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "--host", args.host, "--port", str(args.port)])
    return 0  # not reached
