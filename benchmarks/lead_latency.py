"""Lead latency benchmark: seconds from a row appended to the Leads sheet to its committed routing decision, with
`new_leads_sensor` evaluated by a real `dagster-daemon`, as in production.

Setup, all throwaway: the simulator in its own process (small scale), a scratch database on the warehouse server
(leads, callers and the Dagster instance's storage), a temporary DAGSTER_HOME holding a copy of `dagster.yaml`,
and `dagster-daemon run -w workspace.yaml` (the code location runs in the daemon's code server). Callers come from
the simulated sheet's Callers tab. The sensor is switched on with `dagster sensor start`; once its first tick has
set the cursor, one warm-up row is routed, then N rows are appended one at a time through the simulator's
append endpoint at random gaps, so that they land at every phase of the daemon's 5-second sensor loop. Each row
is stamped just before its append; its decision time is `assigned_at` (or `queued_at` when every caller was
capped), the commit of the engine's transaction. The sensor's raw loads (`sheets_leads_load` runs) are launched
by the daemon during the measurement, as they would be; the result says whether they loaded every row.

Run: `.venv/bin/python -m benchmarks.lead_latency [--rows 40] [--raw-load-seconds 20]`. Goal: p95 <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import requests

from benchmarks.common import scratch_database, simulator_process, source_kwargs
from salesops.dagster_env import sqlalchemy_url
from salesops.settings import PROJECT_ROOT
from salesops.warehouse import warehouse_url

BIN = Path(sys.executable).parent
SENSOR = "new_leads_sensor"
RAW_LOAD_JOB = "sheets_leads_load"
IDLE_TICK = re.compile(r"^no new Leads rows after row \d+ \((\d+) ms\)")  # the sensor's skip reason when idle


def _environment(url: str, sim_url: str, home: Path, raw_load_seconds: float) -> dict[str, str]:
    env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": sqlalchemy_url(url), "WAREHOUSE_URL": url,
           "SALESOPS_DAGSTER_DIR": str(home / "artifacts"), "SALESOPS_DAGSTER_LOGS_DIR": str(home / "logs"),
           "SALESOPS_DLT_DIR": str(home / "dlt"), "SALESOPS_LEADS_RAW_LOAD_SECONDS": str(raw_load_seconds)}
    for system in ("crm", "marketing", "sheets"):
        for key, value in {"base_url": sim_url, **source_kwargs(system, sim_url)}.items():
            env[f"SOURCES__{system.upper()}__{key.upper()}"] = value
    return env


@contextmanager
def dagster_daemon(env: dict[str, str], home: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` in its own process group (its code server and run workers inherit it), stopped
    with that group afterwards."""
    (home / "logs").mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    with open(home / "daemon.log", "wb") as log:
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=PROJECT_ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
    try:
        yield daemon
    finally:
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(daemon.pid, sig)
            except ProcessLookupError:
                break
            try:
                daemon.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        time.sleep(1)  # let run workers of the group exit before the database is dropped
        with suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)


def _wait(what: str, predicate: Any, timeout: float, log: Path | None = None, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{what}: not within {timeout:.0f} s\n{tail}")


def _sync_sheet_callers(conn: psycopg.Connection, sim_url: str) -> int:
    from orchestration.lead_sensor import SheetEndpoint, fetch_values
    from salesops.assignment import sync_callers

    kwargs = source_kwargs("sheets", sim_url)
    rows = fetch_values(SheetEndpoint(sim_url, kwargs["api_key"], kwargs["spreadsheet_id"]), "Callers")
    header, *body = rows
    summary = sync_callers(conn, [dict(zip(header, cells, strict=False)) for cells in body])
    return len(summary.added)


def _decisions(conn: psycopg.Connection, row_ids: list[str]) -> dict[str, tuple[float, str]]:
    """source_row_id -> (epoch seconds of the committed decision, assigned|queued)."""
    rows = conn.execute("""
        select l.source_row_id, extract(epoch from coalesce(a.assigned_at, u.queued_at)),
               case when a.lead_id is not null then 'assigned' else 'queued' end
        from ops.leads as l
        left join ops.lead_assignments as a on a.lead_id = l.id
        left join ops.unassigned_leads as u on u.lead_id = l.id
        where l.source_row_id = any(%s) and (a.lead_id is not null or u.lead_id is not null)""",
                        (row_ids,)).fetchall()
    return {row_id: (float(at), status) for row_id, at, status in rows}


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _append(sim_url: str, row: list[str]) -> tuple[int, float]:
    stamped = time.time()
    response = requests.post(f"{sim_url}/_simulator/leads", json={"rows": [row]}, timeout=10)
    response.raise_for_status()
    return response.json()["rows"], stamped


def measure_sheet_to_assignment_latency(rows: int = 40, *, scale: float = 0.05, gap: tuple[float, float] = (0.3, 1.5),
                                        raw_load_seconds: float = 20.0, seed: int = 0,
                                        timeout: float = 120.0) -> dict[str, Any]:
    """Append `rows` Leads rows one at a time and return the seconds each took to be routed (p50, p95, max, mean,
    every value), plus the warm-up row's latency, callers, decisions and the sensor-requested raw loads."""
    from simulator.live import make_lead_rows

    rng = random.Random(seed)
    server_url = warehouse_url()
    with simulator_process(scale) as (sim_url, _), scratch_database(server_url, "bench_leads") as url, \
            tempfile.TemporaryDirectory(prefix="lead-latency-") as tmp:
        home = Path(tmp)
        env = _environment(url, sim_url, home, raw_load_seconds)
        with psycopg.connect(url, autocommit=True) as conn:
            callers = _sync_sheet_callers(conn, sim_url)
            with dagster_daemon(env, home):
                started = time.perf_counter()
                subprocess.run([str(BIN / "dagster"), "sensor", "start", SENSOR, "-w", "workspace.yaml"],
                               cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=300)

                def first_tick_done() -> bool:
                    exists = conn.execute("select to_regclass('public.job_ticks') is not null").fetchone()[0]
                    return exists and conn.execute(
                        "select count(*) from job_ticks where type = 'SENSOR' and status in ('SKIPPED', 'SUCCESS')"
                    ).fetchone()[0] > 0

                _wait("the sensor's first tick", first_tick_done, timeout, home / "daemon.log", interval=0.5)
                first_tick_s = time.perf_counter() - started

                def routed(row_ids: list[str]) -> dict[str, tuple[float, str]]:
                    found = _decisions(conn, row_ids)
                    return found if len(found) == len(row_ids) else {}

                warm_row, warm_at = _append(sim_url, make_lead_rows(1, rng, datetime.now(UTC), 0.0)[0])
                warm_id = f"sheets:Leads:{warm_row}"
                warm = _wait("the warm-up row", lambda: routed([warm_id]), timeout, home / "daemon.log")

                appended: dict[str, float] = {}
                for _ in range(rows):
                    time.sleep(rng.uniform(*gap))
                    row_number, at = _append(sim_url, make_lead_rows(1, rng, datetime.now(UTC), 0.0)[0])
                    appended[f"sheets:Leads:{row_number}"] = at
                decided = _wait("every row routed", lambda: routed(list(appended)), timeout, home / "daemon.log",
                                interval=0.5)
                last_row = max(int(row_id.rsplit(":", 1)[1]) for row_id in appended)

                def raw_caught_up() -> bool:
                    exists = conn.execute("select to_regclass('raw_sheets.leads') is not null").fetchone()[0]
                    return exists and (conn.execute("select max(row_number) from raw_sheets.leads").fetchone()[0]
                                       or 0) >= last_row

                try:
                    _wait("raw_sheets.leads holding every row", raw_caught_up, raw_load_seconds + timeout,
                          interval=1.0)
                    raw_complete = True
                except TimeoutError:
                    raw_complete = False
                runs = conn.execute("select status, count(*) from runs where pipeline_name = %s group by 1",
                                    (RAW_LOAD_JOB,)).fetchall()
                ticks = conn.execute("select status, count(*) from job_ticks where type = 'SENSOR' group by 1"
                                     ).fetchall()
                idle_tick_ms = [float(match.group(1)) for (body,) in conn.execute(
                    "select tick_body from job_ticks where type = 'SENSOR'").fetchall()
                    if (match := IDLE_TICK.search(json.loads(body).get("skip_reason") or ""))]
                materializations = conn.execute("""
                    select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'
                    and asset_key = %s""", (json.dumps(["ops", "lead_assignments"]),)).fetchone()[0]

    latencies = [decided[row_id][0] - at for row_id, at in appended.items()]
    statuses: dict[str, int] = {}
    for _, status in decided.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "rows": rows,
        "p50_s": round(_percentile(latencies, 0.50), 3),
        "p95_s": round(_percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "mean_s": round(sum(latencies) / len(latencies), 3),
        "min_s": round(min(latencies), 3),
        "latencies_s": [round(value, 3) for value in latencies],
        "warm_up_row_s": round(warm[warm_id][0] - warm_at, 3),
        "decisions": statuses,
        "callers": callers,
        "sensor_start_to_first_tick_s": round(first_tick_s, 1),
        "sensor_ticks": dict(ticks),
        "idle_tick_ms_median": round(_percentile(idle_tick_ms, 0.5), 1) if idle_tick_ms else None,
        "ops_lead_assignments_materializations": materializations,
        "raw_load_runs": dict(runs),
        "raw_load_interval_s": raw_load_seconds,
        "raw_sheets_leads_complete": raw_complete,
        "goal_p95_s": 10.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--scale", type=float, default=0.05, help="simulator scale (the sheet's history)")
    parser.add_argument("--raw-load-seconds", type=float, default=20.0,
                        help="SALESOPS_LEADS_RAW_LOAD_SECONDS for the sensor (production default 60)")
    args = parser.parse_args()
    result = measure_sheet_to_assignment_latency(args.rows, scale=args.scale, raw_load_seconds=args.raw_load_seconds)
    print(f"sheet row -> committed assignment, {result['rows']} rows: p50 {result['p50_s']} s, "
          f"p95 {result['p95_s']} s, max {result['max_s']} s (goal p95 <= {result['goal_p95_s']} s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
