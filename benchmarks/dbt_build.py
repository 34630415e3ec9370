"""dbt benchmark: full `dbt build` at --scale 1 and 10, then the daily incremental run after one
simulated day of new data (ingested incrementally), which must be a small fraction of the full build.

Run: `.venv/bin/python -m benchmarks.dbt_build [--scales 1 10]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import psycopg
import requests

from benchmarks.common import scratch_database, simulator_process
from benchmarks.ingest import load_all
from salesops.dbt_env import PRODUCTION_BUILD_FLAGS, run_tool
from salesops.report import BUSINESS_TIMEZONE
from salesops.warehouse import warehouse_url


def dbt(url: str, *args: str, window: dict[str, str] | None = None) -> float:
    """Seconds of one dbt command against `url` (fails loudly on any dbt error)."""
    started = time.perf_counter()
    result = run_tool("dbt", *args, url=url, env=window, timeout=None)
    if result.returncode:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - started


def dbt_build(url: str, target: str, *args: str, window: dict[str, str] | None = None) -> float:
    """Seconds of one production `dbt build`, as the Dagster step runs it: the previous run's parse state in
    `target` (Dagster's step publishes it for the next run), its production flags, the business-date `window`
    passed as environment variables."""
    return dbt(url, "build", "--quiet", "--target-path", target, *PRODUCTION_BUILD_FLAGS, *args, window=window)


def bench_scale(scale: float, server_url: str) -> dict[str, object]:
    with (simulator_process(scale) as (sim_url, _), scratch_database(server_url, "bench_dbt") as url,
          tempfile.TemporaryDirectory() as target):
        load_all(url, sim_url)
        dbt(url, "parse", "--quiet", "--target-path", target)  # both timed builds start from a matching parse
        full = dbt_build(url, target, "--full-refresh")
        advanced = requests.post(f"{sim_url}/_simulator/advance", params={"days": 1}, timeout=600).json()
        ingest_started = time.perf_counter()
        load_all(url, sim_url)
        ingest_day = time.perf_counter() - ingest_started
        with psycopg.connect(url) as conn:  # the new business day, from raw (staging is rebuilt by the run itself)
            new_day = conn.execute(
                "SELECT max((lead_timestamp AT TIME ZONE %s)::date) FROM raw_sheets.leads", (BUSINESS_TIMEZONE,)
            ).fetchone()[0]
        window = {"SALESOPS_DBT_MIN_DATE": str(new_day), "SALESOPS_DBT_MAX_DATE": str(new_day)}
        daily = dbt_build(url, target, window=window)
        idle = dbt_build(url, target, window=window)  # the same day again, nothing new: the run's fixed cost
        with psycopg.connect(url) as conn:
            pipeline_rows = conn.execute("SELECT count(*) FROM marts.fct_pipeline_daily").fetchone()[0]
    return {"scale": scale, "full_build_s": round(full, 1), "new_day": str(new_day),
            "simulator_after_advance": advanced.get("as_of"), "incremental_ingest_s": round(ingest_day, 1),
            "daily_build_s": round(daily, 1), "daily_vs_full": round(daily / full, 3),
            "rerun_no_new_data_s": round(idle, 1),
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
              f"{result['daily_build_s']} s = {result['daily_vs_full']:.1%} of the full build "
              f"(rerun with no new data: {result['rerun_no_new_data_s']} s)")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
