"""Ingestion benchmark: full dlt load of every source system at --scale 1 and 10, per-source rows/s and
total wall time, next to a plain PostgreSQL COPY of the same row count into the same server.

Each scale gets its own simulator process and a fresh database in the warehouse.
Run: `.venv/bin/python benchmarks/ingest.py [--scales 1 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import psycopg

from benchmarks.common import scratch_database, simulator_process, source_kwargs
from ingestion.pipelines import SYSTEMS, make_source, run_pipeline
from salesops.report import raw_table_counts
from salesops.warehouse import warehouse_url

COPY_COLUMNS = 12  # about the width of a raw CRM row


def copy_reference(url: str, rows: int) -> float:
    """Seconds for a plain COPY of `rows` text rows into a fresh table of the same server."""
    line = "\t".join(f"value-{i}-abcdefghij" for i in range(COPY_COLUMNS)) + "\n"
    columns = ", ".join(f"c{i} text" for i in range(COPY_COLUMNS))
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE copy_reference ({columns})")
        started = time.perf_counter()
        with conn.cursor().copy("COPY copy_reference FROM STDIN") as copy:
            batch = line * 10_000
            for _ in range(rows // 10_000):
                copy.write(batch)
            copy.write(line * (rows % 10_000))
        conn.commit()
        return time.perf_counter() - started


def load_all(url: str, simulator_url: str) -> dict[str, dict[str, float]]:
    """Load every system into `url`; per system: records, seconds, records/s."""
    per_source = {}
    for system in SYSTEMS:
        with tempfile.TemporaryDirectory() as dlt_dir:
            os.environ["SALESOPS_DLT_DIR"] = dlt_dir
            started = time.perf_counter()
            rows = sum(run_pipeline(system, url, make_source(system, **source_kwargs(system, simulator_url))).values())
            seconds = time.perf_counter() - started
        per_source[system] = {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}
    return per_source


def bench_scale(scale: float, server_url: str) -> dict[str, object]:
    with simulator_process(scale) as (sim_url, start_seconds), scratch_database(server_url, "bench_ingest") as url:
        wall_started = time.perf_counter()
        per_source = load_all(url, sim_url)
        wall = time.perf_counter() - wall_started
        with psycopg.connect(url) as conn:
            stored_rows = sum(count.rows for count in raw_table_counts(conn))
        copy_seconds = copy_reference(url, stored_rows)
    return {
        "scale": scale,
        "simulator_start_s": round(start_seconds, 1),
        "sources": per_source,
        "total_rows": sum(int(s["rows"]) for s in per_source.values()),
        "stored_rows_incl_child_tables": stored_rows,
        "total_wall_s": round(wall, 1),
        "dlt_rows_per_s": round(stored_rows / wall),
        "copy_rows_per_s": round(stored_rows / copy_seconds),
        "copy_wall_s": round(copy_seconds, 2),
        "dlt_vs_copy": f"{copy_seconds / wall:.3f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    server_url = warehouse_url()
    for scale in args.scales:
        result = bench_scale(scale, server_url)
        print(f"\n== scale {scale:g}: {result['total_rows']:,} records ({result['stored_rows_incl_child_tables']:,} "
              f"rows with child tables) in {result['total_wall_s']} s "
              f"({result['dlt_rows_per_s']:,} rows/s; simulator start {result['simulator_start_s']} s)")
        for system, figures in result["sources"].items():
            print(f"   {system:<10} {figures['rows']:>10,} records  {figures['seconds']:>7} s  "
                  f"{figures['rows_per_s']:>8,} records/s")
        print(f"   COPY of the same {result['stored_rows_incl_child_tables']:,} rows: {result['copy_wall_s']} s "
              f"({result['copy_rows_per_s']:,} rows/s); dlt reaches {result['dlt_vs_copy']} of COPY's rate")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
