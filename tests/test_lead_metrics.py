"""Lead-routing metrics (dbt models under marts/lead_routing) and the demo's routing summary, against leads
routed by the real engine: leads per minute, the unassigned queue, assignment latency, caller utilisation and
round-robin fairness, each compared with values computed here from the engine's own results. The models must
also build, empty, on a warehouse without the ops lead tables (CI builds fresh warehouses)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from salesops.assignment import AssignmentSettings, add_caller, ingest_rows, reassign, set_status
from salesops.dbt_env import run_tool
from salesops.report import lead_routing_summary

IST = ZoneInfo("Asia/Kolkata")
DAY1, DAY2 = date(2026, 3, 10), date(2026, 3, 11)
SELECT = "path:models/marts/lead_routing"
MODELS = ("dim_caller", "fct_lead_assignments", "fct_lead_routing", "lead_routing_minutely",
          "lead_routing_caller_daily", "lead_routing_pool_daily", "lead_routing_daily")
CALLERS = {"Asha": ("Maharashtra", 3), "Bala": ("Maharashtra", 0), "Chitra": ("Karnataka", 2), "Dev": ("", 0)}
# (business day, routing time, state, leads): each batch is routed at one instant; leads were submitted
# 40 s apart before it, so latencies differ and submissions spread over several minutes
BATCHES = [
    (DAY1, "10:00:10", "Maharashtra", 5),  # Asha 3/3 and Bala share the state pool
    (DAY1, "10:01:05", "Maharashtra", 3),  # Asha capped: all to Bala
    (DAY1, "10:02:30", "Karnataka", 3),  # Chitra 2/2, then the global fallback
    (DAY1, "10:05:00", "", 2),  # no state: global pool
    (DAY2, "11:00:00", "Maharashtra", 4),  # Bala and Dev paused on day 2: Asha 3/3, then global -> Chitra
    (DAY2, "11:01:00", "Karnataka", 3),  # Chitra 2/2, then nobody: queued
]


def build(url: str, target) -> None:
    result = run_tool("dbt", "build", "--select", SELECT, "--target-path", str(target), url=url)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def rows(conn, query: str, *params) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def percentile(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def route_leads(conn) -> dict:
    """Create the callers and route BATCHES with the engine; returns what the metrics should say."""
    for name, (state, limit) in CALLERS.items():
        add_caller(conn, {"name": name, "states": state, "daily_limit": limit})
    expected = {"submitted": Counter(), "routed": Counter(), "latency": defaultdict(list), "queued": [],
                "per_pool": defaultdict(Counter), "per_caller": defaultdict(Counter), "assigned": Counter()}
    # the callers have been around since before the scenario's days (utilisation rows start at creation)
    conn.execute("update ops.callers set created_at = '2026-03-01 09:00+05:30'")
    n = 0
    for day, clock, state, count in BATCHES:
        if (day, clock) == (DAY2, "11:00:00"):
            set_status(conn, "Bala", "paused")
            set_status(conn, "Dev", "paused")
        now = datetime.combine(day, datetime.strptime(clock, "%H:%M:%S").time(), tzinfo=IST)
        batch = []
        for i in range(count):
            n += 1
            submitted = now - timedelta(seconds=40 * (count - i))
            batch.append({"name": f"Lead {n}", "phone": f"98{n:08d}", "timestamp": f"{submitted:%Y-%m-%d %H:%M:%S}",
                          "lead_source": "Website", "state": state, "source_row_id": f"sheets:Leads:{n}"})
            expected["submitted"][submitted.replace(second=0, tzinfo=None)] += 1
        results = []
        ingest_rows(conn, batch, "sheets", AssignmentSettings(), now=now, on_result=results.append)
        minute = now.replace(second=0, tzinfo=None)
        for row, result in zip(batch, results, strict=True):
            expected["routed"][minute] += 1
            if result.status == "queued":
                expected["queued"].append(result.lead_id)
                continue
            assert result.status == "assigned", result
            submitted = datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)
            expected["latency"][day].append((now - submitted).total_seconds())
            expected["per_pool"][(day, result.routing_key)][result.caller_name] += 1
            expected["per_caller"][day][result.caller_name] += 1
            expected["assigned"][(minute, result.routing_key == "global")] += 1
    # a manager hands the first queued lead to Asha over her cap: manual, counts against day 2's cap
    reassign(conn, expected["queued"][0], "Asha", "VIP customer", now=datetime(2026, 3, 11, 12, 0, tzinfo=IST),
             override_cap=True)
    expected["per_caller"][DAY2]["Asha"] += 1
    return expected


def test_lead_routing_metrics_match_the_engine(warehouse_db, tmp_path):
    target = tmp_path / "target"
    # a new warehouse: no ops lead tables, the models build empty and every test passes
    build(warehouse_db, target)
    with psycopg.connect(warehouse_db, autocommit=True) as conn:
        for model in MODELS:
            assert rows(conn, f"select count(*) from marts.{model}") == [(0,)], model
        assert lead_routing_summary(conn) == ["  lead routing: no ops lead tables yet (no caller synced, "
                                              "no lead assigned)"]

        expected = route_leads(conn)
        build(warehouse_db, target)

        # the engine did what the scenario says: Chitra fills up on day 2, two Karnataka leads are queued
        assert expected["per_caller"][DAY1] == {"Asha": 3, "Bala": 7, "Chitra": 2, "Dev": 1}
        assert expected["per_caller"][DAY2] == {"Asha": 4, "Chitra": 2}
        assert len(expected["queued"]) == 2

        # leads per minute: submissions by sheet minute, routing by decision minute
        minutely = {minute: (submitted, routed, assigned, queued, fallback) for minute, submitted, routed, assigned,
                    queued, fallback in rows(conn, """
            select business_minute, leads_submitted, leads_routed, leads_assigned, leads_queued,
                   fallback_assignments from marts.lead_routing_minutely""")}
        minutes = set(expected["submitted"]) | set(expected["routed"])
        assert set(minutely) == minutes
        for minute in minutes:
            assigned = expected["assigned"][(minute, False)] + expected["assigned"][(minute, True)]
            assert minutely[minute] == (expected["submitted"][minute], expected["routed"][minute], assigned,
                                        expected["routed"][minute] - assigned,
                                        expected["assigned"][(minute, True)]), minute

        # daily: counts, unassigned queue, latency percentiles, fairness
        daily = {row[0]: row[1:] for row in rows(conn, """
            select business_date, leads_routed, leads_queued, open_unassigned, manual_assignments,
                   peak_leads_routed_per_minute, latency_p50_seconds, latency_p95_seconds, latency_p99_seconds,
                   max_assignment_spread
            from marts.lead_routing_daily""")}
        assert set(daily) == {DAY1, DAY2}
        for day in (DAY1, DAY2):
            routed = sum(n for minute, n in expected["routed"].items() if minute.date() == day)
            queued = 0 if day == DAY1 else 2
            latencies = expected["latency"][day]
            spreads = [max(c.values()) - min(c.values()) for (d, _), c in expected["per_pool"].items() if d == day]
            got = daily[day]
            assert got[:5] == (routed, queued, queued - (day == DAY2), int(day == DAY2),
                               max(n for minute, n in expected["routed"].items() if minute.date() == day))
            for value, q in zip(got[5:8], (0.5, 0.95, 0.99), strict=True):
                assert math.isclose(value, percentile(latencies, q)), (day, q)
            assert got[8] == max(spreads)

        # utilisation: leads handed over that day / daily limit, null when unlimited (0)
        caller_daily = {(day, name): (assigned, limit, utilisation) for day, name, assigned, limit, utilisation
                        in rows(conn, """select business_date, caller_name, leads_assigned, daily_limit, utilisation
                                         from marts.lead_routing_caller_daily""")}
        assert set(caller_daily) == {(day, name) for day in (DAY1, DAY2) for name in CALLERS}
        for day in (DAY1, DAY2):
            for name, (_, limit) in CALLERS.items():
                assigned = expected["per_caller"][day][name]
                got_assigned, got_limit, utilisation = caller_daily[(day, name)]
                assert (got_assigned, got_limit) == (assigned, limit), (day, name)
                assert utilisation is None if limit == 0 else math.isclose(utilisation, assigned / limit)
        assert math.isclose(caller_daily[(DAY2, "Asha")][2], 4 / 3)  # over the cap by the manual hand-over

        # fairness per pool and day
        pools = {(day, key): (assigned, spread) for day, key, assigned, spread in rows(conn, """
            select business_date, routing_key, leads_assigned, assignment_spread from marts.lead_routing_pool_daily""")}
        assert pools == {(day, key): (sum(c.values()), max(c.values()) - min(c.values()))
                         for (day, key), c in expected["per_pool"].items()}
        assert pools[(DAY1, "state:maharashtra")] == (8, 2)  # Asha capped at 3, Bala took the rest

        # every lead is in fct_lead_routing once; the queued lead handed out is resolved, the other still open
        assert rows(conn, """select routing_outcome, is_open_in_queue, count(*) from marts.fct_lead_routing
                             group by 1, 2 order by 1, 2""") == [("assigned", False, 18), ("queued", False, 1),
                                                                 ("queued", True, 1)]

        # the demo's summary reads the same numbers from ops
        summary = lead_routing_summary(conn)
        assert summary[0].startswith("  business day 2026-03-11: 7 leads routed, 5 assigned (1 through the global "
                                     "fallback), 2 queued; 1 manual hand-overs")
        table = {line.split()[0]: line.split()[1:] for line in summary[2:6]}
        assert table == {"Asha": ["active", "4", "3", "133.3%"], "Chitra": ["active", "2", "2", "100.0%"],
                         "Bala": ["paused", "0", "unlimited", "-"], "Dev": ["paused", "0", "unlimited", "-"]}
        assert summary[6] == "  unassigned queue: 1 open (2 queued on 2026-03-11), oldest first:"
        assert summary[7].startswith("    2026-03-11 11:01  Lead ") and "Karnataka" in summary[7]
        assert lead_routing_summary(conn, DAY1)[0].startswith("  business day 2026-03-10: 13 leads routed, 13 "
                                                              "assigned (3 through the global fallback), 0 queued")
