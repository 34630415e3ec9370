"""`salesops dbt ...` and `salesops mf ...`: dbt and MetricFlow against this checkout's warehouse.

Arguments pass through unchanged (`salesops dbt build --select marts`, `salesops mf query --metrics
bookings --group-by metric_time__month`); the warehouse is resolved as everywhere else.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(groups: argparse._SubParsersAction) -> None:
    for tool, text in (("dbt", "run dbt in dbt_project/ against the warehouse"),
                       ("mf", "run MetricFlow (the dbt semantic layer) against the warehouse")):
        parser = groups.add_parser(tool, help=text, add_help=False)
        parser.add_argument("args", nargs=argparse.REMAINDER)
        parser.set_defaults(handler=_passthrough, tool=tool)


def _passthrough(args: argparse.Namespace) -> int:
    from salesops.dbt_env import DBT_PROJECT_DIR, dbt_environment
    from salesops.warehouse import warehouse_url

    os.environ.update(dbt_environment(warehouse_url()))
    executable = str(Path(sys.executable).with_name(args.tool))
    os.chdir(DBT_PROJECT_DIR)
    os.execv(executable, [executable, *args.args])
    return 0  # not reached
