"""`salesops leads ingest|list|show|unassigned|reassign`: store and route leads from a CSV file, look at them
and hand them over by hand. Same engine as the Sheets sensor, CRM batch and webhook (`salesops.assignment`):
each lead is stored once and assigned in its own transaction, so many `leads ingest` runs may go at once on
overlapping files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from salesops.commands.callers import (
    EXIT_CODES,
    UsageError,
    add_timezone_option,
    business_timezone,
    print_json,
    print_table,
    read_error,
    refusals_exit_2,
    text,
    warehouse,
)

SHEET_COLUMNS = ("name", "phone", "timestamp", "lead_source", "city", "state", "metadata")
REQUIRED_COLUMNS = ("name", "phone", "timestamp")
OPTIONAL_COLUMNS = ("language", "external_id", "lead_score")
QUARANTINE_SHOWN = 100
LEADS_FORMAT = f"""LEADS.csv: header row with the Leads sheet columns name,phone,timestamp,lead_source,city,state,
metadata (any case and spelling, e.g. "Lead Source"). name, phone and timestamp are required; the others may be
missing or blank. Optional extra columns: language (for --route-by-language), external_id, lead_score. Phones
in any format (stored as E.164); naive timestamps are India time; metadata is a JSON object; a missing or
unknown state is resolved from the city, else the lead goes to the global pool.

Output: one JSON line: received, inserted (new leads = assigned + unassigned), duplicates (already stored: same
phone and timestamp, or the same line of the same file), assigned, unassigned (queued: every candidate paused
or capped), quarantined (not a lead: kept in ops.lead_quarantine; the first {QUARANTINE_SHOWN} are listed under
quarantine with line and errors), retries (lost races, retried), by_caller, seconds. Quarantined rows do not
make the exit status non-zero."""
COUNTER_RULE = """daily counters: the new caller's counter for today's business date goes up by one; the old caller's is
not decremented (they did receive the lead today, and giving the slot back would let the engine refill it).
The new caller must be active and below their daily limit, unless --override-cap. The old assignment is kept
(status reassigned), a queued lead leaves the unassigned queue, and the change is written to the audit log
with the reason."""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("leads", help="ingest leads from CSV, inspect them, reassign by hand",
                               epilog=EXIT_CODES,
                               description="Store and route leads (state pools, round robin, daily caps, an "
                                           "unassigned queue, an audit log) and inspect or reassign them.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    formatter = argparse.RawDescriptionHelpFormatter

    ingest = actions.add_parser(
        "ingest", help="store and assign the leads of a CSV file; prints a JSON summary",
        formatter_class=formatter, epilog=f"{LEADS_FORMAT}\n\n{EXIT_CODES}",
        description="Store each lead of the file once and assign it to a caller right away, each in its own "
                    "transaction.\nSafe to re-run and to run in many processes at once on overlapping files.")
    ingest.add_argument("--input", required=True, metavar="LEADS.csv")
    ingest.add_argument("--route-by-language", action="store_true",
                        help="prefer an eligible caller who speaks the lead's language (column language)")
    add_timezone_option(ingest)
    ingest.set_defaults(handler=_ingest)

    listing = actions.add_parser("list", help="newest leads with their caller, filtered", epilog=EXIT_CODES,
                                 description="List leads, newest first, with their current caller and status.")
    listing.add_argument("--state", help="only leads of this state (name or code)")
    listing.add_argument("--caller", help="only leads currently assigned to this caller")
    listing.add_argument("--search", metavar="TEXT", help="part of the name, or digits of the phone")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    add_timezone_option(listing)
    listing.set_defaults(handler=_list)

    show = actions.add_parser(
        "show", help="a lead, its assignments and the decision log", epilog=EXIT_CODES,
        description="Show a lead's details, its current and past assignments, its queue entry and the decision "
                    "log: pools tried, callers skipped and why, fallback, reassignments with their reasons.")
    show.add_argument("lead_id", metavar="LEAD_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_timezone_option(show)
    show.set_defaults(handler=_show)

    queue = actions.add_parser(
        "unassigned", help="the unassigned queue (leads no caller could take)", epilog=EXIT_CODES,
        description="Leads waiting for a caller because every candidate was paused or at the daily cap, oldest "
                    "first. Hand one out with `salesops leads reassign LEAD_ID --to CALLER --reason ...`.")
    queue.add_argument("--all", action="store_true", help="include entries already handed out")
    queue.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    add_timezone_option(queue)
    queue.set_defaults(handler=_unassigned)

    move = actions.add_parser(
        "reassign", help="hand a lead (or a queued one) to a named caller, audited", formatter_class=formatter,
        epilog=f"{COUNTER_RULE}\n\n{EXIT_CODES}",
        description="Move lead LEAD_ID to caller CALLER and print the new assignment.")
    move.add_argument("lead_id", metavar="LEAD_ID")
    move.add_argument("--to", required=True, metavar="CALLER", help="name of the caller who gets the lead")
    move.add_argument("--reason", required=True, metavar="TEXT", help="why (kept in the audit log)")
    move.add_argument("--override-cap", action="store_true",
                      help="hand the lead over even if CALLER reached their daily limit")
    move.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_timezone_option(move)
    move.set_defaults(handler=_reassign)


# --- ingest --------------------------------------------------------------------------------------------------


@refusals_exit_2
def _ingest(args: argparse.Namespace) -> int:
    import csv
    import time

    business_timezone(args.timezone)
    started = time.monotonic()
    path = Path(args.input)
    ignored = _check_header(path)
    from salesops.assignment import AssignmentSettings, ingest_rows, read_lead_csv

    try:  # read it all first: an unreadable file fails before any lead is written
        rows = list(read_lead_csv(path))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read {path}: {read_error(error)}") from None
    if ignored:
        print(f"salesops: warning: {path}: ignoring column(s) {', '.join(ignored)}", file=sys.stderr)
    quarantine: list[dict[str, Any]] = []

    def note(result: Any) -> None:
        if result.status == "quarantined" and len(quarantine) < QUARANTINE_SHOWN:
            line = (result.source_row_id or "").rsplit(":", 1)[-1]
            quarantine.append({"line": int(line) if line.isdigit() else None, "errors": list(result.errors)})

    settings = AssignmentSettings(timezone=args.timezone, route_by_language=args.route_by_language)
    with warehouse(args.timezone) as conn:
        summary = ingest_rows(conn, rows, "csv", settings, on_result=note)
    report = summary.as_dict()
    report["by_caller"] = dict(sorted(report["by_caller"].items()))
    print_json({"file": str(path), **report, "quarantine": quarantine,
                "seconds": round(time.monotonic() - started, 3)}, compact=True)
    return 0


def _check_header(path: Path) -> list[str]:
    """UsageError unless the file is readable and has the required columns; returns the columns ignored."""
    import csv

    from ingestion.lead_rows import header_key

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"cannot read {path}: {read_error(error)}") from None
    expected = ",".join(SHEET_COLUMNS)
    if not header or not any(cell.strip() for cell in header):
        raise UsageError(f"{path}: no header row; expected the columns {expected}")
    keys = [header_key(cell) for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in keys]
    if missing:
        raise UsageError(f"{path}: missing required column(s) {', '.join(missing)}; expected the columns {expected} "
                         f"(found: {','.join(cell.strip() for cell in header)})")
    known = set(SHEET_COLUMNS) | set(OPTIONAL_COLUMNS)
    return [cell.strip() or "(blank)" for cell, key in zip(header, keys, strict=True) if key not in known]


# --- inspection ----------------------------------------------------------------------------------------------


@refusals_exit_2
def _list(args: argparse.Namespace) -> int:
    from salesops.assignment.queries import find_leads

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    with warehouse(args.timezone) as conn:
        try:
            leads = find_leads(conn, state=args.state, caller=args.caller, search=args.search, limit=args.limit)
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.json:
        print_json(leads)
        return 0
    print_table(leads, [("lead_id", "LEAD ID"), ("name", "NAME"), ("phone", "PHONE"), ("city", "CITY"),
                        ("state", "STATE"), ("created_at", "RECEIVED"), ("status", "STATUS"),
                        ("caller", "CALLER")], "no leads")
    return 0


@refusals_exit_2
def _unassigned(args: argparse.Namespace) -> int:
    from salesops.assignment.queries import unassigned_leads

    with warehouse(args.timezone) as conn:
        queue = unassigned_leads(conn, include_resolved=args.all)
    if args.json:
        print_json(queue)
        return 0
    columns = [("lead_id", "LEAD ID"), ("name", "NAME"), ("phone", "PHONE"), ("state", "STATE"),
               ("queued_at", "QUEUED AT"), ("reason", "REASON"), ("needs_review", "NEEDS REVIEW")]
    print_table(queue, columns + ([("resolved_at", "RESOLVED AT")] if args.all else []),
                "the unassigned queue is empty")
    return 0


@refusals_exit_2
def _show(args: argparse.Namespace) -> int:
    from salesops.assignment.queries import lead_details

    with warehouse(args.timezone) as conn:
        details = lead_details(conn, args.lead_id)
    if args.json:
        print_json(details)
        return 0
    print("\n".join(_describe(details)))
    return 0


def _describe(details: dict[str, Any]) -> list[str]:
    import json

    lead = details["lead"]
    lines = [f"lead {lead['id']} ({details['status']})",
             f"  name: {lead['name']}  phone: {lead['phone']}  submitted: {text(lead['timestamp_from_sheet'])}",
             f"  city: {text(lead['city'])}  state: {text(lead['state'])}  language: {text(lead['language'])}  "
             f"lead source: {text(lead['lead_source'])}",
             f"  stored: {text(lead['created_at'])} from {lead['source']}"
             + (f" ({lead['source_row_id']})" if lead["source_row_id"] else "")
             + (f"  external id: {lead['external_id']}" if lead["external_id"] else "")]
    if lead["metadata"]:
        lines.append(f"  metadata: {json.dumps(lead['metadata'], ensure_ascii=False, default=str)}")
    if lead["validation_warnings"]:
        lines.append(f"  warnings: {'; '.join(lead['validation_warnings'])}")
    if lead["duplicate_count"]:
        lines.append(f"  sent again {lead['duplicate_count']} time(s), last {text(lead['last_duplicate_at'])}")
    current = details["current"]
    lines.append(f"current caller: {current['caller']} since {text(current['assigned_at'])}" if current
                 else "current caller: none")
    if details["assignments"]:
        lines.append("assignments:")
        for item in details["assignments"]:
            ended = f" until {text(item['ended_at'])}" if item["ended_at"] else ""
            score = f", lead score {item['lead_score']:.3f}" if item["lead_score"] is not None else ""
            lines.append(f"  {text(item['assigned_at'])}  {item['caller']} [{item['status']}{ended}] via "
                         f"{item['routing_key']}: {item['reason']}{score}")
    queue = details["queue"]
    if queue:
        state = (f"handed out {text(queue['resolved_at'])}" if queue["resolved_at"]
                 else "waiting" + (", needs review" if queue["needs_review"] else ""))
        lines.append(f"unassigned queue: queued {text(queue['queued_at'])} ({queue['reason']}); {state}")
    lines.append("decision log:")
    for event in details["log"]:
        who = f" -> {event['caller']}" if event["caller"] else ""
        lines.append(f"  {text(event['at'])}  {event['event']}{who} via {text(event['routing_key'])}: "
                     f"{text(event['reason'])}")
        lines.extend(f"      {line}" for line in _decision(event["decision"] or {}))
    return lines


def _decision(decision: dict[str, Any]) -> list[str]:
    lines = []
    for pool in decision.get("pools", []):
        skipped = ", ".join(f"{item['caller']} ({item['why']})" for item in pool.get("skipped", []))
        size = f", {pool['callers']} caller(s)" if pool.get("callers") is not None else ""
        lines.append(f"pool {pool['key']}{size}: " + (f"skipped {skipped}" if skipped else "nobody skipped"))
    if decision.get("fallback"):
        lines.append(f"fallback to global: {decision['fallback']}")
    if decision.get("from_caller") or decision.get("from_queue"):
        source = decision.get("from_caller") or f"the unassigned queue ({decision['from_queue']})"
        lines.append(f"from {source}")
    if decision.get("daily_limit") is not None and decision.get("count") is not None:
        limit = decision["daily_limit"] or "unlimited"
        lines.append(f"count on {decision.get('business_date', 'the day')}: {decision['count']}/{limit}"
                     + (" (cap overridden)" if decision.get("override_cap") else ""))
    return lines


# --- reassignment --------------------------------------------------------------------------------------------


@refusals_exit_2
def _reassign(args: argparse.Namespace) -> int:
    from salesops.assignment import AssignmentSettings, reassign
    from salesops.assignment.queries import lead_details

    settings = AssignmentSettings(timezone=args.timezone)
    with warehouse(args.timezone) as conn:
        result = reassign(conn, args.lead_id, args.to, args.reason, settings, override_cap=args.override_cap)
        details = lead_details(conn, result.lead_id or args.lead_id)
    event = next((item for item in reversed(details["log"])
                  if item["event"] == "reassigned" and item["caller"] == result.caller_name), None)
    decision = (event or {}).get("decision") or {}
    current = details["current"] or {}
    output = {"lead_id": result.lead_id, "caller": result.caller_name, "caller_id": result.caller_id,
              "from_caller": decision.get("from_caller"), "from_queue": decision.get("from_queue"),
              "assigned_at": current.get("assigned_at"), "reason": result.reason,
              "count_today": decision.get("count"), "daily_limit": decision.get("daily_limit")}
    if args.json:
        print_json(output)
        return 0
    source = output["from_caller"] or ("the unassigned queue" if output["from_queue"] else "nobody")
    limit = output["daily_limit"] or "unlimited"
    print(f"lead {result.lead_id}: {source} -> {result.caller_name} at {text(output['assigned_at'])} "
          f"({result.reason}); {result.caller_name} has {text(output['count_today'])}/{limit} today")
    return 0
