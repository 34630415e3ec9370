"""`salesops callers ...` and `salesops leads ...` as a user runs them: separate processes against a real
PostgreSQL named by WAREHOUSE_URL (a fresh database per test, the `ops` schema created on first use)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg

from salesops.settings import PROJECT_ROOT

SALESOPS = [sys.executable, "-m", "salesops.cli"]
HEADER = "name,phone,timestamp,lead_source,city,state,metadata\n"


def cli(url: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    """Run `salesops ARGS` with WAREHOUSE_URL=url and check its exit status."""
    run = subprocess.run([*SALESOPS, *args], env={**os.environ, "WAREHOUSE_URL": url}, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == expect, f"salesops {' '.join(args)} -> {run.returncode}\n{run.stdout}\n{run.stderr}"
    return run


def cli_json(url: str, *args: str):
    return json.loads(cli(url, *args).stdout)


def error_line(run: subprocess.CompletedProcess) -> str:
    """The single `salesops: error: ...` line a refused command prints."""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salesops: error: "), run.stderr
    return lines[0]


def lead_row(n: int, state: str = "", city: str = "") -> str:
    return f"Lead {n},98{n:08d},2026-03-10 09:{n // 60:02d}:{n % 60:02d},Website,{city},{state},\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def query(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_callers_import_list_edit_pause_and_activate(warehouse_db, tmp_path):
    url = warehouse_db
    roster = write(tmp_path / "callers.csv", "Name,Role,Languages,Daily Limit,States,Status\n"
                                             "Asha,Caller,Hindi;Marathi,10,MH;Goa,active\n"
                                             "Bala,Team Lead,Kannada,,Karnataka,paused\n")
    assert cli_json(url, "callers", "import", "--input", str(roster)) == {
        "added": ["Asha", "Bala"], "updated": [], "unchanged": 0, "errors": []}
    assert cli_json(url, "callers", "import", "--input", str(roster))["unchanged"] == 2

    bad = write(tmp_path / "bad.csv", "name,daily_limit,states\nChitra,5,MH\n\nDev,-3,MH\nEla,2,Narnia\n")
    message = error_line(cli(url, "callers", "import", "--input", str(bad), expect=2))
    assert "row 4: caller Dev: daily_limit" in message and "row 5: caller Ela: unknown state 'Narnia'" in message
    no_name = write(tmp_path / "no_name.csv", "caller,states\nChitra,MH\n")
    assert "missing column(s) name" in error_line(cli(url, "callers", "import", "--input", str(no_name), expect=2))
    assert "cannot read" in error_line(cli(url, "callers", "import", "--input", str(tmp_path / "nope.csv"),
                                           expect=2))
    assert [c["name"] for c in cli_json(url, "callers", "list", "--json")] == ["Asha", "Bala"]  # all or nothing

    added = cli(url, "callers", "add", "Chitra", "--languages", "Tamil;English", "--daily-limit", "4",
                "--states", "TN;KA").stdout
    assert added.strip() == ("added Chitra: role -, languages Tamil;English, daily limit 4, "
                             "states Karnataka;Tamil Nadu, active")
    assert "already exists" in error_line(cli(url, "callers", "add", "Chitra", expect=2))
    assert "unknown state 'Narnia'" in error_line(cli(url, "callers", "edit", "Chitra", "--states", "Narnia",
                                                      expect=2))
    assert "nothing to change" in error_line(cli(url, "callers", "edit", "Chitra", expect=2))
    cli(url, "callers", "edit", "Asha", "--daily-limit", "0", "--states", "Maharashtra", "--role", "Senior",
        "--rename", "Asha K")
    cli(url, "callers", "activate", "Bala")
    assert "no caller named 'Nobody'" in error_line(cli(url, "callers", "pause", "Nobody", expect=2))
    assert cli(url, "callers", "pause", "Chitra").stdout.startswith("Chitra is paused")

    listed = {c.pop("name"): c for c in cli_json(url, "callers", "list", "--json")}
    assert {name: (c["role"], c["languages"], c["daily_limit"], c["states"], c["status"])
            for name, c in listed.items()} == {
        "Asha K": ("Senior", ["Hindi", "Marathi"], 0, ["Maharashtra"], "active"),
        "Bala": ("Team Lead", ["Kannada"], 0, ["Karnataka"], "active"),
        "Chitra": (None, ["Tamil", "English"], 4, ["Karnataka", "Tamil Nadu"], "paused")}
    assert (listed["Chitra"]["assigned_today"], listed["Chitra"]["remaining_today"]) == (0, 4)
    assert listed["Asha K"]["remaining_today"] is None  # unlimited

    table = cli(url, "callers", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "ROLE", "LANGUAGES", "STATES", "DAILY", "LIMIT", "TODAY", "REMAINING",
                                "STATUS"]
    assert table[1].split()[:3] == ["Asha", "K", "Senior"] and "unlimited" in table[1]
    assert table[3].split() == ["Chitra", "-", "Tamil;English", "Karnataka;Tamil", "Nadu", "4", "0", "4", "paused"]


def test_ingest_prints_one_json_summary_with_duplicates_and_quarantine(warehouse_db, tmp_path):
    url = warehouse_db
    cli(url, "callers", "add", "Asha", "--states", "MH")
    cli(url, "callers", "add", "Bala", "--states", "KA")
    leads = write(tmp_path / "leads.csv", (
        "NAME,Phone,TimeStamp,Lead Source,CITY,State,Metadata,Notes\n"
        'Ravi,98765 43210,2026-03-10 10:00:00,Website,Mumbai,Maharashtra,"{""lead_id"": ""L-1""}",call after 5\n'
        "Kiran,+91 98450 00001,2026-03-10 10:05:00,Referral,Bengaluru,KA,,\n"
        "Meera,9876500002,10/03/2026 10:10:00,Website,Pune,,,\n"
        "\n"
        "Ravi again,+91-98765-43210,2026-03-10T10:00:00,Website,Mumbai,MH,,\n"   # same phone and time: duplicate
        "No Phone,12,2026-03-10 10:20:00,Website,Pune,MH,,\n"                     # invalid phone: quarantined
        "Bad Meta,9876500003,2026-03-10 10:25:00,Website,Pune,MH,{not json,\n"))  # broken metadata: quarantined
    run = cli(url, "leads", "ingest", "--input", str(leads))
    assert len(run.stdout.splitlines()) == 1
    summary = json.loads(run.stdout)
    assert {key: summary[key] for key in ("received", "inserted", "duplicates", "assigned", "unassigned",
                                          "quarantined", "by_caller")} == {
        "received": 6, "inserted": 3, "duplicates": 1, "assigned": 3, "unassigned": 0, "quarantined": 2,
        "by_caller": {"Asha": 2, "Bala": 1}}
    assert [(item["line"], item["errors"]) for item in summary["quarantine"]] == [
        (7, ["invalid phone number '12'"]), (8, ["metadata is not valid JSON"])]
    assert summary["file"] == str(leads) and summary["seconds"] >= 0
    assert "ignoring column(s) Notes" in run.stderr

    again = json.loads(cli(url, "leads", "ingest", "--input", str(leads)).stdout)  # a retry is a no-op
    assert (again["inserted"], again["duplicates"], again["quarantined"]) == (0, 4, 2)
    assert query(url, "select count(*), sum(duplicate_count) from ops.leads") == [(3, 5)]
    assert query(url, "select count(*) from ops.lead_quarantine") == [(2,)]

    maharashtra = cli_json(url, "leads", "list", "--state", "MH", "--json")
    assert sorted(lead["name"] for lead in maharashtra) == ["Meera", "Ravi"]
    assert {lead["caller"] for lead in maharashtra} == {"Asha"}
    assert [lead["name"] for lead in cli_json(url, "leads", "list", "--search", "98450-00001", "--json")] == ["Kiran"]
    assert [lead["name"] for lead in cli_json(url, "leads", "list", "--caller", "Bala", "--json")] == ["Kiran"]
    assert "unknown state" in error_line(cli(url, "leads", "list", "--state", "Narnia", expect=2))


def test_ingest_refuses_unreadable_files_before_writing(warehouse_db, tmp_path):
    url = warehouse_db
    no_phone = write(tmp_path / "no_phone.csv", "Name,Time stamp,State\nRavi,2026-03-10 10:00:00,MH\n")
    message = error_line(cli(url, "leads", "ingest", "--input", str(no_phone), expect=2))
    assert "missing required column(s) phone, timestamp" in message and "name,phone,timestamp" in message
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(HEADER.encode() + "Jos\xe9,9876543210,2026-03-10 10:00:00,Web,Pune,MH,\n".encode("latin-1"))
    for path, text in ((tmp_path / "missing.csv", "No such file"), (latin1, "not UTF-8"),
                       (write(tmp_path / "empty.csv", ""), "no header row"), (tmp_path, "Is a directory")):
        assert text in error_line(cli(url, "leads", "ingest", "--input", str(path), expect=2))
    good = write(tmp_path / "good.csv", HEADER + lead_row(1))
    assert "unknown timezone" in error_line(cli(url, "leads", "ingest", "--input", str(good), "--timezone",
                                                "Mars/Olympus", expect=2))
    assert query(url, "select to_regclass('ops.leads')") == [(None,)]  # refused before connecting


def test_concurrent_ingest_processes_store_and_assign_each_lead_once(warehouse_db, tmp_path):
    url = warehouse_db
    roster = write(tmp_path / "callers.csv", "name,daily_limit\nAsha,25\nBala,25\nChitra,25\n")
    cli(url, "callers", "import", "--input", str(roster))
    rng = random.Random(7)
    files = []
    for k in range(5):  # leads 0-29, 15-44, ..., 60-89: 150 rows, 90 distinct leads, each in one or two files
        numbers = list(range(15 * k, 15 * k + 30))
        rng.shuffle(numbers)
        files.append(write(tmp_path / f"leads_{k}.csv", HEADER + "".join(lead_row(n) for n in numbers)))
    env = {**os.environ, "WAREHOUSE_URL": url}
    processes = [subprocess.Popen([*SALESOPS, "leads", "ingest", "--input", str(path)], env=env, cwd=PROJECT_ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for path in files]
    summaries = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        summaries.append(json.loads(out))
    total = {key: sum(s[key] for s in summaries) for key in ("received", "inserted", "duplicates", "assigned",
                                                             "unassigned", "quarantined")}
    assert total == {"received": 150, "inserted": 90, "duplicates": 60, "assigned": 75, "unassigned": 15,
                     "quarantined": 0}
    assert query(url, "select count(*), count(distinct (phone, timestamp_from_sheet)) from ops.leads") == [(90, 90)]
    per_lead = query(url, """
        select l.id, count(a.id), count(q.lead_id) from ops.leads l
        left join ops.lead_assignments a on a.lead_id = l.id left join ops.unassigned_leads q on q.lead_id = l.id
        group by l.id""")
    assert sorted(Counter((n_assigned, n_queued) for _, n_assigned, n_queued in per_lead).items()) == [
        ((0, 1), 15), ((1, 0), 75)]  # every lead either assigned once or queued once, never both
    assert sorted(query(url, """select c.name, d.count, (select count(*) from ops.lead_assignments a
                                                         where a.caller_id = c.id)
                                from ops.callers c join ops.caller_daily_counter d on d.caller_id = c.id""")) == [
        ("Asha", 25, 25), ("Bala", 25, 25), ("Chitra", 25, 25)]
    assert dict(query(url, "select event, count(*) from ops.assignment_log group by event")) == {
        "assigned": 75, "queued": 15}
    queue = cli_json(url, "leads", "unassigned", "--json")
    assert len(queue) == 15 and all(item["needs_review"] for item in queue)
    assert {item["reason"] for item in queue} == {"every caller is paused or at the daily cap"}
    assert all(c["remaining_today"] == 0 for c in cli_json(url, "callers", "list", "--json"))


def test_reassign_show_and_the_unassigned_queue(warehouse_db, tmp_path):
    url = warehouse_db
    cli(url, "callers", "add", "Asha", "--states", "MH", "--daily-limit", "1")
    cli(url, "callers", "add", "Bala", "--daily-limit", "1")
    assert cli(url, "leads", "unassigned").stdout.strip() == "the unassigned queue is empty"
    leads = write(tmp_path / "leads.csv", HEADER + lead_row(1, "MH") + lead_row(2, "MH") + lead_row(3, "MH"))
    summary = json.loads(cli(url, "leads", "ingest", "--input", str(leads)).stdout)
    assert (summary["assigned"], summary["unassigned"], summary["by_caller"]) == (2, 1, {"Asha": 1, "Bala": 1})

    queue = cli_json(url, "leads", "unassigned", "--json")
    assert [(item["name"], item["phone"], item["state"], item["reason"], item["needs_review"])
            for item in queue] == [("Lead 3", "+919800000003", "Maharashtra",
                                    "every caller is paused or at the daily cap", True)]
    queued_id = queue[0]["lead_id"]
    table = cli(url, "leads", "unassigned").stdout.splitlines()
    assert table[0].split()[:3] == ["LEAD", "ID", "NAME"] and table[1].startswith(queued_id)

    capped = cli(url, "leads", "reassign", queued_id, "--to", "Bala", "--reason", "urgent", expect=2)
    assert "daily cap" in error_line(capped)
    moved = cli(url, "leads", "reassign", queued_id, "--to", "Bala", "--reason", "urgent", "--override-cap").stdout
    assert f"lead {queued_id}: the unassigned queue -> Bala" in moved and "Bala has 2/1 today" in moved
    assert cli_json(url, "leads", "unassigned", "--json") == []
    assert cli_json(url, "leads", "unassigned", "--all", "--json")[0]["resolved_at"] is not None

    asha_lead = cli_json(url, "leads", "list", "--caller", "Asha", "--json")[0]["lead_id"]
    result = cli_json(url, "leads", "reassign", asha_lead, "--to", "Bala", "--reason", "speaks Marathi",
                      "--override-cap", "--json")
    assert {key: result[key] for key in ("lead_id", "caller", "from_caller", "count_today", "daily_limit")} == {
        "lead_id": asha_lead, "caller": "Bala", "from_caller": "Asha", "count_today": 3, "daily_limit": 1}
    assert result["reason"] == "manual: speaks Marathi; over the daily cap (3/1)"
    counts = {c["name"]: c["assigned_today"] for c in cli_json(url, "callers", "list", "--json")}
    assert counts == {"Asha": 1, "Bala": 3}  # the new caller's counter goes up, the old caller's stays

    details = cli_json(url, "leads", "show", asha_lead, "--json")
    assert (details["status"], details["current"]["caller"], details["lead"]["state"]) == (
        "assigned", "Bala", "Maharashtra")
    assert [(a["caller"], a["status"], a["ended_at"] is not None) for a in details["assignments"]] == [
        ("Asha", "reassigned", True), ("Bala", "active", False)]
    assert [(e["event"], e["caller"], e["routing_key"]) for e in details["log"]] == [
        ("assigned", "Asha", "state:maharashtra"), ("reassigned", "Bala", "manual")]
    assert details["log"][1]["decision"]["from_caller"] == "Asha"
    assert details["log"][1]["reason"] == "manual: speaks Marathi; over the daily cap (3/1)"

    queued = cli_json(url, "leads", "show", queued_id, "--json")
    assert [e["event"] for e in queued["log"]] == ["queued", "reassigned"]
    assert [pool["skipped"] for pool in queued["log"][0]["decision"]["pools"]] == [
        [{"caller": "Asha", "why": "capped 1/1"}],
        [{"caller": "Asha", "why": "capped 1/1"}, {"caller": "Bala", "why": "capped 1/1"}]]
    assert queued["queue"]["resolved_at"] is not None and not queued["queue"]["needs_review"]
    text = cli(url, "leads", "show", queued_id).stdout
    for expected in (f"lead {queued_id} (assigned)", "current caller: Bala since ", "decision log:",
                     "queued via global: every caller is paused or at the daily cap",
                     "pool global, 2 caller(s): skipped Asha (capped 1/1), Bala (capped 1/1)",
                     "fallback to global: every caller of Maharashtra is paused or at the daily cap",
                     "reassigned -> Bala via manual: manual: urgent; over the daily cap (2/1)",
                     "from the unassigned queue", "count on ", "2/1 (cap overridden)"):
        assert expected in text, text

    missing = "00000000-0000-0000-0000-000000000000"
    assert f"no lead {missing}" in error_line(cli(url, "leads", "show", missing, expect=2))
    assert "not a lead id" in error_line(cli(url, "leads", "show", "L-42", expect=2))
    assert f"no lead {missing}" in error_line(cli(url, "leads", "reassign", missing, "--to", "Bala", "--reason",
                                                  "x", expect=2))
    assert "already assigned to 'Bala'" in error_line(cli(url, "leads", "reassign", asha_lead, "--to", "Bala",
                                                          "--reason", "x", expect=2))
    assert "no caller named 'Nobody'" in error_line(cli(url, "leads", "reassign", asha_lead, "--to", "Nobody",
                                                        "--reason", "x", expect=2))
