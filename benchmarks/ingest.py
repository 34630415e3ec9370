"""Ingestion benchmark: full dlt load of every source system at --scale 1 and 10, per-source rows/s and
total wall time, next to a plain PostgreSQL COPY of the same row count into the same server.

Each scale gets its own simulator process (so serving JSON does not share the GIL with dlt) and a
fresh database in the warehouse. Run: `.venv/bin/python benchmarks/ingest.py [--scales 1 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ingestion.pipelines import SYSTEMS, make_source, run_pipeline
from salesops.report import raw_table_counts
from salesops.warehouse import warehouse_url
from simulator.server import SimulatorConfig

COPY_COLUMNS = 12  # about the width of a raw CRM row


def start_simulator(scale: float) -> tuple[subprocess.Popen, str]:
    ready = Path(tempfile.mkdtemp()) / "ready.json"
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", "0", "--scale", str(scale),
                                "--ready-file", str(ready)], stdout=subprocess.DEVNULL)
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError("simulator failed to start")
        time.sleep(0.2)
    return process, json.loads(ready.read_text())["url"]


def fresh_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_database(server_url: str, url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path[1:]}" WITH (FORCE)')


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


def bench_scale(scale: float, server_url: str) -> dict[str, object]:
    config = SimulatorConfig()
    build_started = time.perf_counter()
    process, sim_url = start_simulator(scale)
    build_seconds = time.perf_counter() - build_started
    url = fresh_database(server_url)
    try:
        per_source = {}
        wall_started = time.perf_counter()
        for system in SYSTEMS:
            kwargs = ({"base_url": sim_url, "api_key": config.sheets_api_key, "spreadsheet_id": config.spreadsheet_id}
                      if system == "sheets" else {"base_url": sim_url, "access_token": config.hubspot_token})
            with tempfile.TemporaryDirectory() as dlt_dir:
                os.environ["SALESOPS_DLT_DIR"] = dlt_dir
                started = time.perf_counter()
                rows = sum(run_pipeline(system, url, make_source(system, **kwargs)).values())
                seconds = time.perf_counter() - started
            per_source[system] = {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}
        wall = time.perf_counter() - wall_started
        total_rows = sum(int(s["rows"]) for s in per_source.values())
        with psycopg.connect(url) as conn:
            stored_rows = sum(count.rows for count in raw_table_counts(conn))
        copy_seconds = copy_reference(url, stored_rows)
    finally:
        process.terminate()
        drop_database(server_url, url)
    return {
        "scale": scale,
        "simulator_start_s": round(build_seconds, 1),
        "sources": per_source,
        "total_rows": total_rows,
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
            print(f"   {system:<10} {figures['rows']:>10,} rows  {figures['seconds']:>7} s  "
                  f"{figures['rows_per_s']:>8,} rows/s")
        print(f"   COPY of the same {result['stored_rows_incl_child_tables']:,} rows: {result['copy_wall_s']} s "
              f"({result['copy_rows_per_s']:,} rows/s); dlt reaches {result['dlt_vs_copy']} of COPY's rate")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
