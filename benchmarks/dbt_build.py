"""dbt benchmark: full `dbt build` at --scale 1 and 10, then the daily incremental run after one
simulated day of new data (ingested incrementally), which must be a small fraction of the full build.

Run: `.venv/bin/python -m benchmarks.dbt_build [--scales 1 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

from benchmarks.common import scratch_database, simulator_process
from benchmarks.ingest import load_all
from salesops.dbt_env import DBT_PROJECT_DIR, dbt_environment
from salesops.warehouse import warehouse_url


def dbt_build(url: str, *args: str) -> float:
    """Seconds of one `dbt build` against `url` (fails loudly on any dbt error)."""
    env = {**os.environ, **dbt_environment(url)}
    dbt = str(Path(sys.executable).with_name("dbt"))
    with tempfile.TemporaryDirectory() as target:
        started = time.perf_counter()
        subprocess.run([dbt, "build", "--quiet", "--target-path", target, *args], cwd=DBT_PROJECT_DIR, env=env,
                       check=True)
        return time.perf_counter() - started


def bench_scale(scale: float, server_url: str) -> dict[str, object]:
    with simulator_process(scale) as (sim_url, _), scratch_database(server_url, "bench_dbt") as url:
        load_all(url, sim_url)
        full = dbt_build(url, "--full-refresh")
        advanced = requests.post(f"{sim_url}/_simulator/advance", params={"days": 1}, timeout=600).json()
        ingest_started = time.perf_counter()
        load_all(url, sim_url)
        ingest_day = time.perf_counter() - ingest_started
        with psycopg.connect(url) as conn:
            new_day = conn.execute("SELECT max(lead_date) FROM staging.stg_sheets__leads").fetchone()[0]
        daily = dbt_build(url, "--vars", json.dumps({"min_date": str(new_day), "max_date": str(new_day)}))
        with psycopg.connect(url) as conn:
            pipeline_rows = conn.execute("SELECT count(*) FROM marts.fct_pipeline_daily").fetchone()[0]
    return {"scale": scale, "full_build_s": round(full, 1), "new_day": str(new_day),
            "simulator_after_advance": advanced.get("as_of"), "incremental_ingest_s": round(ingest_day, 1),
            "daily_build_s": round(daily, 1), "daily_vs_full": round(daily / full, 3),
            "fct_pipeline_daily_rows": pipeline_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    server_url = warehouse_url()
    for scale in args.scales:
        result = bench_scale(scale, server_url)
        print(f"\n== scale {scale:g}: full dbt build {result['full_build_s']} s; after one simulated day "
              f"({result['new_day']}, ingested in {result['incremental_ingest_s']} s) the daily run takes "
              f"{result['daily_build_s']} s = {result['daily_vs_full']:.1%} of the full build")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
