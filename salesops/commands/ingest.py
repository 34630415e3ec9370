"""`salesops ingest [--source ...]`: run the dlt pipelines directly, without Dagster."""

from __future__ import annotations

import argparse
import time

from ingestion.pipelines import SYSTEMS


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("ingest", help="load source systems into the warehouse with dlt")
    parser.add_argument("--source", choices=SYSTEMS, action="append",
                        help="source system to load (repeatable; default: all)")
    parser.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace) -> int:
    from ingestion.pipelines import run_pipeline
    from salesops.warehouse import warehouse_url

    url = warehouse_url()
    for system in args.source or SYSTEMS:
        started = time.monotonic()
        rows = run_pipeline(system, url)
        print(f"{system}: {sum(rows.values()):,} rows in {time.monotonic() - started:.1f} s")
    return 0
