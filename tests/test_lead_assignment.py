"""The lead-assignment engine against a real PostgreSQL: idempotent storage, state routing with global fallback,
round robin, daily caps in the business timezone, the unassigned queue, reassignment, the audit log, caller
management, and many writer processes at once on overlapping inputs."""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import traceback
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from salesops.assignment import (
    AssignmentSettings,
    CallerError,
    ReassignError,
    add_caller,
    assign_lead,
    delete_caller,
    edit_caller,
    import_callers_csv,
    ingest_rows,
    list_callers,
    read_lead_csv,
    reassign,
    set_status,
    sync_callers,
)
from salesops.assignment.db import ensure_schema
from salesops.ops_schema import migrate_ops

IST = ZoneInfo("Asia/Kolkata")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=IST)  # the business day most tests run on
FIRST_SUBMISSION = datetime(2026, 3, 10, 9, 0)


@pytest.fixture
def conn(warehouse_db):
    with psycopg.connect(warehouse_db, autocommit=True) as connection:
        migrate_ops(connection)
        yield connection


def lead(n: int, state: str = "", city: str = "", **extra) -> dict:
    """A valid Leads-sheet row, unique by n (phone and timestamp), with a stable source row id."""
    return {"name": f"Lead {n}", "phone": f"98{n:08d}", "timestamp": str(FIRST_SUBMISSION + timedelta(seconds=n)),
            "lead_source": "Website", "city": city, "state": state, "source_row_id": f"sheets:Leads:{n}", **extra}


def caller(connection, name: str, states: str = "", limit: int = 0, **extra) -> str:
    return add_caller(connection, {"name": name, "states": states, "daily_limit": limit, **extra})


def ingest(connection, rows, now=NOON, **settings):
    return ingest_rows(connection, rows, "test", AssignmentSettings(**settings), now=now)


def scalar(connection, query: str, *params):
    return connection.execute(query, params).fetchone()[0]


def assigned_to(connection) -> dict[str, str]:
    """source_row_id -> caller name of every active assignment."""
    return dict(connection.execute("""
        select l.source_row_id, c.name from ops.lead_assignments a join ops.leads l on l.id = a.lead_id
        join ops.callers c on c.id = a.caller_id where a.status = 'active'""").fetchall())


def test_migrations_are_idempotent_and_the_audit_log_is_append_only(conn):
    assert migrate_ops(conn) == []
    caller(conn, "Asha", "MH")
    ingest(conn, [lead(1, "Maharashtra")])
    assert scalar(conn, "select count(*) from ops.assignment_log") == 1
    for statement in ("update ops.assignment_log set reason = 'edited'", "delete from ops.assignment_log",
                      "truncate ops.assignment_log"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(statement)
    assert scalar(conn, "select count(*) from ops.assignment_log") == 1


def test_state_routing_city_fallback_and_global_fallback(conn):
    caller(conn, "Mira", "Maharashtra", limit=2)
    caller(conn, "Kiran", "KA")  # state codes resolve to canonical names
    caller(conn, "Gopal")  # serves no state: global pool only
    results = {}
    rows = [lead(1, "Maharashtra"), lead(2, city="Pune"), lead(3, "MH"), lead(4, "Goa"), lead(5, "Atlantis"),
            lead(6, "Karnataka")]
    ingest_rows(conn, rows, "test", now=NOON, on_result=lambda r: results.__setitem__(r.source_row_id, r))
    by_row = {key.rsplit(":", 1)[1]: result for key, result in results.items()}
    assert (by_row["1"].caller_name, by_row["1"].routing_key) == ("Mira", "state:maharashtra")
    assert (by_row["2"].caller_name, by_row["2"].routing_key) == ("Mira", "state:maharashtra")  # city -> state
    assert scalar(conn, "select state from ops.leads where source_row_id = 'sheets:Leads:2'") == "Maharashtra"
    # Mira is capped (2/2): the Maharashtra lead falls back to the global pool, and the log says why
    assert by_row["3"].routing_key == "global" and by_row["3"].caller_name != "Mira"
    assert "every caller of Maharashtra is paused or at the daily cap" in by_row["3"].reason
    decision = scalar(conn, """select decision from ops.assignment_log g join ops.leads l on l.id = g.lead_id
                               where l.source_row_id = 'sheets:Leads:3'""")
    assert decision["pools"][0] == {"key": "state:maharashtra", "callers": 1,
                                    "skipped": [{"caller": "Mira", "why": "capped 2/2"}]}
    assert by_row["4"].routing_key == "global" and "no caller serves Goa" in by_row["4"].reason
    assert by_row["5"].routing_key == "global" and "state unknown" in by_row["5"].reason
    assert "unknown state 'Atlantis'" in by_row["5"].warnings[0]
    assert (by_row["6"].caller_name, by_row["6"].routing_key) == ("Kiran", "state:karnataka")


def test_round_robin_follows_names_and_skips_capped_and_paused_callers(conn):
    for name, limit in (("Chitra", 0), ("Asha", 1), ("Bala", 0), ("Dev", 0)):
        caller(conn, name, "Maharashtra", limit=limit)
    set_status(conn, "Dev", "paused")
    ingest(conn, [lead(n, "Maharashtra") for n in range(1, 8)])
    order = [name for _, name in sorted(assigned_to(conn).items(), key=lambda item: int(item[0].rsplit(":")[-1]))]
    assert order == ["Asha", "Bala", "Chitra", "Bala", "Chitra", "Bala", "Chitra"]
    skipped = [row[0] for row in conn.execute("""
        select decision -> 'pools' -> 0 -> 'skipped' from ops.assignment_log order by id""")]
    assert skipped[3] == [{"caller": "Dev", "why": "paused"}, {"caller": "Asha", "why": "capped 1/1"}]
    assert "skipped 2" in scalar(conn, "select reason from ops.assignment_log order by id offset 3 limit 1")


def test_phone_formats_collide_and_retried_rows_are_no_ops(conn):
    caller(conn, "Asha", "Maharashtra")
    first = {"name": "Ravi", "phone": "+91 98765 43210", "timestamp": "2026-03-10 10:00:00", "state": "MH",
             "source_row_id": "sheets:Leads:2"}
    again = {**first, "phone": "09876543210", "name": " Ravi\u200b ", "source_row_id": "sheets:Leads:3"}
    rows = [first, again, lead(4, "Maharashtra"), {"name": "No phone", "phone": "", "timestamp": "2026-03-10",
                                                   "source_row_id": "sheets:Leads:5"}]
    summary = ingest(conn, rows)
    assert (summary.inserted, summary.duplicates, summary.assigned, summary.quarantined) == (2, 1, 2, 1)
    tables = ("ops.leads", "ops.lead_assignments", "ops.assignment_log", "ops.lead_quarantine",
              "ops.unassigned_leads")
    before = {table: scalar(conn, f"select count(*) from {table}") for table in tables}
    counters = conn.execute("select caller_id, date, count from ops.caller_daily_counter").fetchall()
    retried = ingest(conn, rows)
    assert (retried.inserted, retried.duplicates, retried.assigned, retried.quarantined) == (0, 3, 0, 1)
    assert {table: scalar(conn, f"select count(*) from {table}") for table in tables} == before
    assert conn.execute("select caller_id, date, count from ops.caller_daily_counter").fetchall() == counters
    assert scalar(conn, "select phone from ops.leads where source_row_id = 'sheets:Leads:2'") == "+919876543210"
    assert scalar(conn, "select duplicate_count from ops.leads where source_row_id = 'sheets:Leads:2'") == 3
    duplicate = assign_lead(conn, again, "webhook")  # the webhook path answers with the existing lead's caller
    assert (duplicate.status, duplicate.caller_name) == ("duplicate", "Asha")


def test_malformed_rows_are_quarantined_with_reasons_and_never_stored(conn):
    caller(conn, "Asha")
    rows = [
        {"name": "A", "phone": "", "timestamp": "2026-03-10 10:00:00", "source_row_id": "csv:in.csv:2"},
        {"name": "B", "phone": "12", "timestamp": "2026-03-10 10:00:00", "source_row_id": "csv:in.csv:3"},
        {"name": "C", "phone": "9876543211", "timestamp": "31/02/2026 25:61", "source_row_id": "csv:in.csv:4"},
        {"name": "D", "phone": "9876543212", "timestamp": "2026-03-10 10:00", "metadata": "{broken",
         "source_row_id": "csv:in.csv:5"},
        {"name": "", "phone": "9876543213", "timestamp": "2026-03-10 10:00", "source_row_id": "csv:in.csv:6"},
    ]
    summary = ingest(conn, rows)
    assert summary.quarantined == 5 and summary.inserted == 0
    assert scalar(conn, "select count(*) from ops.leads") == 0
    quarantined = dict(conn.execute("select source_row_id, errors from ops.lead_quarantine").fetchall())
    assert quarantined == {
        "csv:in.csv:2": ["missing phone"],
        "csv:in.csv:3": ["invalid phone number '12'"],
        "csv:in.csv:4": ["unparseable timestamp '31/02/2026 25:61'"],
        "csv:in.csv:5": ["metadata is not valid JSON"],
        "csv:in.csv:6": ["missing name"],
    }
    assert scalar(conn, "select raw from ops.lead_quarantine where source_row_id = 'csv:in.csv:5'")["metadata"] \
        == "{broken"
    ingest(conn, rows)  # a retry does not quarantine twice
    assert scalar(conn, "select count(*) from ops.lead_quarantine") == 5


def test_csv_rows_keep_their_ids_across_runs(conn, tmp_path):
    caller(conn, "Asha")
    path = tmp_path / "leads.csv"
    path.write_text('Name,Phone,Timestamp,Lead Source,City,State,Language,Metadata\n'
                    'Ravi,98765 43210,2026-03-10 10:00:00,Website,Pune,,Marathi,"{""lead_id"": ""L-9""}"\n'
                    '\n'
                    'Nobody,,2026-03-10 10:01:00,Website,Pune,,,\n')
    rows = list(read_lead_csv(path))
    assert [row["source_row_id"].rsplit(":", 1)[1] for row in rows] == ["2", "4"]
    assert (ingest(conn, rows).assigned, ingest(conn, read_lead_csv(path)).duplicates) == (1, 1)
    assert scalar(conn, "select count(*) from ops.lead_quarantine") == 1
    assert conn.execute("select state, external_id from ops.leads").fetchone() == ("Maharashtra", "L-9")


def test_daily_cap_resets_at_local_midnight_not_utc(conn):
    caller(conn, "Asha", "Maharashtra", limit=2)
    assert ingest(conn, [lead(1, "MH"), lead(2, "MH")], now=datetime(2026, 3, 10, 10, 0, tzinfo=IST)).assigned == 2
    late = datetime(2026, 3, 10, 23, 59, tzinfo=IST)  # 18:29 UTC
    assert ingest(conn, [lead(3, "MH")], now=late).unassigned == 1
    after_midnight = datetime(2026, 3, 11, 0, 0, 30, tzinfo=IST)  # still 10 March in UTC
    assert after_midnight.astimezone(ZoneInfo("UTC")).date() == date(2026, 3, 10)
    assert ingest(conn, [lead(4, "MH"), lead(5, "MH")], now=after_midnight).assigned == 2
    assert ingest(conn, [lead(6, "MH")], now=after_midnight).unassigned == 1
    assert conn.execute("select date, count from ops.caller_daily_counter order by date").fetchall() == [
        (date(2026, 3, 10), 2), (date(2026, 3, 11), 2)]
    assert [c["assigned_today"] for c in list_callers(conn, now=after_midnight)] == [2]
    # another business timezone moves the boundary with it
    utc_cap = ingest(conn, [lead(7, "MH")], now=after_midnight, timezone="UTC")
    assert utc_cap.unassigned == 1  # 10 March in UTC: already 2 assigned that UTC day


def test_paused_caller_gets_nothing_new_and_keeps_its_leads(conn):
    caller(conn, "Asha", "Maharashtra")
    caller(conn, "Bala", "Maharashtra")
    ingest(conn, [lead(n, "MH") for n in range(1, 5)])
    assert Counter(assigned_to(conn).values()) == {"Asha": 2, "Bala": 2}
    set_status(conn, "Bala", "paused")
    ingest(conn, [lead(n, "MH") for n in range(5, 9)])
    assert Counter(assigned_to(conn).values()) == {"Asha": 6, "Bala": 2}
    set_status(conn, "Asha", "inactive")  # nobody active left anywhere: queued
    summary = ingest(conn, [lead(9, "MH")])
    assert summary.unassigned == 1
    assert Counter(assigned_to(conn).values()) == {"Asha": 6, "Bala": 2}
    listed = {c["name"]: (c["status"], c["assigned_today"]) for c in list_callers(conn, now=NOON)}
    assert listed == {"Asha": ("inactive", 6), "Bala": ("paused", 2)}


def test_all_capped_goes_to_the_queue_and_reassigning_resolves_it(conn):
    caller(conn, "Asha", "Maharashtra", limit=1)
    caller(conn, "Bala", limit=1)
    summary = ingest(conn, [lead(1, "MH"), lead(2, "MH"), lead(3, "MH")])
    assert (summary.assigned, summary.unassigned) == (2, 1)
    queued = conn.execute("select lead_id, reason, needs_review, resolved_at from ops.unassigned_leads").fetchall()
    assert len(queued) == 1
    lead_id, reason, needs_review, resolved_at = queued[0]
    assert reason == "every caller is paused or at the daily cap" and needs_review and resolved_at is None
    event = conn.execute("select event, decision from ops.assignment_log where lead_id = %s", (lead_id,)).fetchone()
    assert event[0] == "queued"
    assert [pool["skipped"] for pool in event[1]["pools"]] == [
        [{"caller": "Asha", "why": "capped 1/1"}],
        [{"caller": "Asha", "why": "capped 1/1"}, {"caller": "Bala", "why": "capped 1/1"}]]
    with pytest.raises(ReassignError, match="daily cap"):
        reassign(conn, lead_id, "Bala", "urgent", now=NOON)
    result = reassign(conn, lead_id, "Bala", "urgent", now=NOON, override_cap=True)
    assert result.caller_name == "Bala" and "over the daily cap (2/1)" in result.reason
    assert conn.execute("select needs_review, resolved_at from ops.unassigned_leads").fetchone() == (False, NOON)


def test_reassign_is_audited_and_only_the_new_caller_is_counted(conn):
    caller(conn, "Asha", "Maharashtra", limit=5)
    caller(conn, "Bala", "Karnataka", limit=5)
    caller(conn, "Chitra", "Goa")
    ingest(conn, [lead(1, "MH", lead_score="0.81")])
    lead_id = scalar(conn, "select id from ops.leads")
    result = reassign(conn, lead_id, "Bala", "speaks the customer's language", now=NOON + timedelta(hours=1))
    assert (result.caller_name, result.routing_key) == ("Bala", "manual")
    history = conn.execute("""select c.name, a.status, a.lead_score, a.ended_at is not null
                              from ops.lead_assignments a join ops.callers c on c.id = a.caller_id
                              order by a.assigned_at""").fetchall()
    assert history == [("Asha", "reassigned", 0.81, True), ("Bala", "active", 0.81, False)]
    counts = {c["name"]: c["assigned_today"] for c in list_callers(conn, now=NOON)}
    assert counts == {"Asha": 1, "Bala": 1, "Chitra": 0}  # the old caller keeps the lead on today's count
    event, name, reason, decision = conn.execute("""
        select event, caller_name, reason, decision from ops.assignment_log order by id desc limit 1""").fetchone()
    assert (event, name, reason) == ("reassigned", "Bala", "manual: speaks the customer's language")
    assert decision["from_caller"] == "Asha"
    set_status(conn, "Chitra", "paused")
    with pytest.raises(ReassignError, match="paused"):
        reassign(conn, lead_id, "Chitra", "try", now=NOON)
    with pytest.raises(ReassignError, match="already assigned"):
        reassign(conn, lead_id, "Bala", "again", now=NOON)
    with pytest.raises(ReassignError, match="no caller"):
        reassign(conn, lead_id, "Nobody", "x", now=NOON)
    assert scalar(conn, "select count(*) from ops.lead_assignments where status = 'active'") == 1


def test_language_routing_prefers_speakers_and_falls_back(conn):
    caller(conn, "Asha", "Maharashtra", languages="Hindi;English")
    caller(conn, "Bala", "Maharashtra", languages="Marathi;Hindi")
    caller(conn, "Chitra", "Maharashtra", languages="English")
    rows = [lead(1, "MH", language="marathi"), lead(2, "MH", language="Marathi"), lead(3, "MH", language="Tamil")]
    ingest(conn, rows, route_by_language=True)
    assert assigned_to(conn) == {"sheets:Leads:1": "Bala", "sheets:Leads:2": "Bala", "sheets:Leads:3": "Chitra"}
    reasons = [row[0] for row in conn.execute("select reason from ops.assignment_log order by id")]
    assert "speaks Marathi" in reasons[1] and "nobody available speaks Tamil" in reasons[2]
    skipped = scalar(conn, "select decision -> 'pools' -> 0 -> 'skipped' from ops.assignment_log order by id limit 1")
    assert skipped == [{"caller": "Asha", "why": "language"}]


def test_lead_scores_are_stored_and_looked_up(conn):
    caller(conn, "Asha")
    conn.execute("create schema ml")
    conn.execute("create table ml.lead_scores (lead_id text, as_of_date date, score double precision)")
    conn.execute("insert into ml.lead_scores values ('L-1', '2026-03-01', 0.2), ('L-1', '2026-03-09', 0.64)")
    rows = [lead(1, metadata=json.dumps({"lead_id": "L-1"})), lead(2, lead_score="0.9"), lead(3)]
    ingest(conn, rows)
    scores = dict(conn.execute("""select l.source_row_id, a.lead_score from ops.lead_assignments a
                                  join ops.leads l on l.id = a.lead_id""").fetchall())
    assert scores == {"sheets:Leads:1": 0.64, "sheets:Leads:2": 0.9, "sheets:Leads:3": None}
    assert "lead score 0.640" in scalar(conn, "select reason from ops.assignment_log order by id limit 1")


def test_caller_management_import_sync_edit_and_list(conn, tmp_path):
    csv_file = tmp_path / "callers.csv"
    csv_file.write_text("name,role,languages,daily_limit,states,status\n"
                        "Asha,Caller,Hindi;Marathi,10,MH;Goa,active\n"
                        "Bala,Team Lead,Kannada,0,Karnataka,paused\n")
    summary = import_callers_csv(conn, csv_file)
    assert (summary.added, summary.updated, summary.unchanged) == (["Asha", "Bala"], [], 0)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,daily_limit,states\nChitra,-3,MH\nDev,5,Narnia\n")
    with pytest.raises(CallerError, match=r"row 2: .*daily_limit.*\| row 3: .*unknown state 'Narnia'"):
        import_callers_csv(conn, bad)
    assert scalar(conn, "select count(*) from ops.callers") == 2  # all or nothing
    sheet_rows = [  # as the Sheets Callers tab reads: header names, ';' lists
        {"Name": "Asha", "Role": "Caller", "Languages": "Hindi;Marathi", "Daily Limit": "12", "States": "MH",
         "Status": "Active"},
        {"Name": "Esha", "Role": "Caller", "Languages": "Bengali", "Daily Limit": "", "States": "WB",
         "Status": "active"},
        {"Name": "Faiz", "Role": "Caller", "Languages": "", "Daily Limit": "x", "States": "", "Status": ""},
    ]
    synced = sync_callers(conn, sheet_rows)
    assert (synced.added, synced.updated, synced.unchanged) == (["Esha"], ["Asha"], 0)
    assert synced.errors and "Faiz" in synced.errors[0]
    edit_caller(conn, "Bala", daily_limit=3, states=["KA", "Kerala"], status="active")
    caller_id = add_caller(conn, {"name": "Gita"})
    with pytest.raises(CallerError, match="already exists"):
        add_caller(conn, {"name": "Gita"})
    ingest(conn, [lead(1, "Karnataka")])
    listed = {c["name"]: c for c in list_callers(conn, now=NOON)}
    assert listed["Asha"]["states"] == ["Maharashtra"] and listed["Asha"]["daily_limit"] == 12
    assert listed["Bala"] | {"id": None} == {
        "id": None, "name": "Bala", "role": "Team Lead", "languages": ["Kannada"], "daily_limit": 3,
        "states": ["Karnataka", "Kerala"], "status": "active", "assigned_today": 1, "remaining_today": 2}
    assert listed["Gita"]["id"] == caller_id
    assert delete_caller(conn, "Gita") == "deleted"
    assert delete_caller(conn, "Bala") == "deactivated"  # has a lead: kept for the audit trail


def test_an_open_transaction_is_refused(warehouse_db):
    with psycopg.connect(warehouse_db) as connection:
        migrate_ops(connection)
        connection.execute("select 1")
        with pytest.raises(RuntimeError, match="outside an open transaction"):
            ingest_rows(connection, [lead(1)], "test")
        connection.rollback()
        caller(connection, "Asha")
        assert ingest_rows(connection, [lead(1)], "test").assigned == 1  # non-autocommit works when idle


def _writer(url: str, rows: list[dict], start, results) -> None:
    """One writer process: its own connection, released together with the others by the barrier."""
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            ensure_schema(connection)
            start.wait(60)
            results.put(ingest_rows(connection, rows, "test", now=NOON).as_dict())
    except BaseException:
        results.put({"error": traceback.format_exc()})


def _run_writers(url: str, rows: list[dict], writers: int, copies: int) -> list[dict]:
    """Run `writers` processes at once, each with a shuffled share of the rows (every row sent by `copies`
    different writers), and return their summaries. Forked, so the 16 processes start in milliseconds."""
    rng = random.Random(7)
    shares: list[list[dict]] = [[] for _ in range(writers)]
    for row in rows:
        for writer in rng.sample(range(writers), copies):
            shares[writer].append(row)
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=_writer, args=(url, rng.sample(share, len(share)), start, results))
                 for share in shares]
    for process in processes:
        process.start()
    summaries = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    errors = [s["error"] for s in summaries if "error" in s]
    assert not errors, errors[0]
    assert sum(s["received"] for s in summaries) == len(rows) * copies
    return summaries


def test_concurrent_writers_on_overlapping_inputs(warehouse_db, conn):
    for name in ("M-Anil", "M-Bina", "M-Chand", "M-Divya"):
        caller(conn, name, "Maharashtra")
    caller(conn, "K-Arun", "Karnataka", limit=3)
    caller(conn, "K-Bela", "Karnataka", limit=4)
    caller(conn, "Z-Global", limit=6)
    rows = ([lead(n, "Maharashtra") for n in range(0, 100)] + [lead(n, city="Mumbai") for n in range(100, 160)]
            + [lead(n, "Karnataka") for n in range(160, 200)] + [lead(n, "Goa") for n in range(200, 220)])
    retyped = [{**lead(n, "Maharashtra"), "phone": f"+91 {lead(n)['phone'][:5]} {lead(n)['phone'][5:]}",
                "source_row_id": f"sheets:Leads:{1000 + n}"} for n in range(0, 20)]
    malformed = [{**lead(n), "phone": "", "source_row_id": f"sheets:Leads:{n}"} for n in range(2000, 2010)]
    summaries = _run_writers(warehouse_db, rows + retyped + malformed, writers=16, copies=3)

    assert sum(s["inserted"] for s in summaries) == 220  # every lead stored once, whoever got there first
    assert sum(s["assigned"] + s["unassigned"] for s in summaries) == 220
    assert scalar(conn, "select count(*) from ops.leads") == 220
    assert scalar(conn, "select count(*) from ops.lead_quarantine") == 10
    assert scalar(conn, "select count(*) from ops.leads where source_row_id like 'sheets:Leads:20__'") == 0
    active = conn.execute("""select lead_id, count(*) from ops.lead_assignments where status = 'active'
                             group by lead_id""").fetchall()
    assert len(active) == 220 and {count for _, count in active} == {1}  # no lead assigned twice
    assert scalar(conn, "select count(*) from ops.assignment_log") == 220
    per_caller = dict(conn.execute("""
        select c.name, count(a.*) from ops.callers c left join ops.lead_assignments a on a.caller_id = c.id
        group by c.name""").fetchall())
    counters = dict(conn.execute("""select c.name, d.count from ops.caller_daily_counter d
                                    join ops.callers c on c.id = d.caller_id""").fetchall())
    assert counters == {name: count for name, count in per_caller.items() if count}
    assert (per_caller["K-Arun"], per_caller["K-Bela"], per_caller["Z-Global"]) == (3, 4, 6)  # caps hold
    pool = Counter(name for _, name in conn.execute("""
        select a.lead_id, c.name from ops.lead_assignments a join ops.callers c on c.id = a.caller_id
        where a.routing_key = 'state:maharashtra'""").fetchall())
    assert sum(pool.values()) == 160 and max(pool.values()) - min(pool.values()) <= 1  # round robin is exact


def test_concurrent_writers_never_exceed_caps_across_pools(warehouse_db, conn):
    caller(conn, "Asha", "Maharashtra;Karnataka", limit=5)
    caller(conn, "Bala", "Karnataka", limit=7)
    caller(conn, "Chitra", "Maharashtra", limit=8)
    caller(conn, "Dev", limit=5)
    rows = [lead(n, ("Maharashtra", "Karnataka", "Goa", "")[n % 4]) for n in range(60)]
    summaries = _run_writers(warehouse_db, rows, writers=16, copies=2)
    assert sum(s["assigned"] for s in summaries) == 25 and sum(s["unassigned"] for s in summaries) == 35
    per_caller = dict(conn.execute("""select c.name, count(*) from ops.lead_assignments a
                                      join ops.callers c on c.id = a.caller_id group by c.name""").fetchall())
    assert per_caller == {"Asha": 5, "Bala": 7, "Chitra": 8, "Dev": 5}
    counters = dict(conn.execute("""select c.name, d.count from ops.caller_daily_counter d
                                    join ops.callers c on c.id = d.caller_id""").fetchall())
    assert counters == per_caller
    assert scalar(conn, "select count(*) from ops.unassigned_leads where needs_review") == 35
    assert scalar(conn, """select count(*) from ops.leads l where (select count(*) from ops.lead_assignments a
                           where a.lead_id = l.id) + (select count(*) from ops.unassigned_leads q
                           where q.lead_id = l.id) <> 1""") == 0  # each lead either assigned or queued, once


def test_a_cap_filled_by_another_pool_meanwhile_is_retried(warehouse_db, conn):
    """Asha serves two states. A Karnataka assignment takes her last slot while a Maharashtra one, which read her
    count before, waits for her counter row: the Maharashtra lead must retry and go to someone else."""
    caller(conn, "Asha", "Maharashtra;Karnataka", limit=1)
    caller(conn, "Bala", "Maharashtra")
    with psycopg.connect(warehouse_db) as holder:  # a writer in the middle of its transaction
        params = ("Kay", "+919800000001", FIRST_SUBMISSION.replace(tzinfo=IST), None, None, "Karnataka", None,
                  "{}", "test", "sheets:Leads:900", None, [], None, NOON, "Asia/Kolkata", False)
        took = holder.execute("select o_caller_name from ops.assign_lead(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                              "%s, %s, %s, %s, %s, %s)", params).fetchone()[0]
        assert took == "Asha"  # uncommitted: Asha still looks free to everyone else
        outcome = {}
        racer = threading.Thread(target=lambda: outcome.update(result=assign_lead(
            conn, lead(1, "Maharashtra"), "test", now=NOON)))
        racer.start()
        with psycopg.connect(warehouse_db, autocommit=True) as observer:
            for _ in range(500):
                waiting = scalar(observer, """select count(*) from pg_stat_activity
                                              where wait_event_type = 'Lock' and datname = current_database()""")
                if waiting:
                    break
                racer.join(0.01)
            assert waiting, "the Maharashtra writer never waited for Asha's counter"
        holder.commit()
        racer.join(10)
    result = outcome["result"]
    assert (result.status, result.caller_name, result.retries) == ("assigned", "Bala", 1)
    assert scalar(conn, "select count from ops.caller_daily_counter c join ops.callers a on a.id = c.caller_id "
                        "where a.name = 'Asha'") == 1
