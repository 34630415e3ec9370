"""`salesops callers list|add|edit|pause|activate|remove|import`: the sales callers leads are routed to.

Every command connects to `WAREHOUSE_URL` (else the embedded warehouse) and creates the `ops` schema on first
use. Changes apply from the next lead on: a change waits for the assignments in flight and holds new ones
back until it commits (see `salesops.assignment.callers`). The helpers at the bottom are shared with
`salesops leads`.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

DEFAULT_TIMEZONE = "Asia/Kolkata"  # salesops.assignment.DEFAULT_TIMEZONE, repeated to keep --help light
STATUSES = ("active", "paused", "inactive")
EXIT_CODES = """exit status: 0 done; 1 unexpected failure (e.g. the warehouse is unreachable); 2 refused and
nothing changed: invalid input (bad option or file, missing columns, invalid caller row), unknown caller or
lead, or a change the rules forbid."""
CSV_FORMAT = """CALLERS.csv: header row with the columns name,role,languages,daily_limit,states,status (any case and
spelling, e.g. "Daily Limit"; only name is required). languages and states are lists separated by ';', states
as names or codes (MH, IN-MH, Maharashtra); daily_limit is a whole number, 0 or blank = unlimited; status is
active (default), paused or inactive. Rows are matched to existing callers by name: new names are added,
known ones updated, callers missing from the file left as they are. All or nothing: if any row is invalid the
error names every bad line and nothing is written."""


class UsageError(ValueError):
    """Invalid input from the command line: reported in one line with exit status 2."""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser(
        "callers", help="manage the sales callers leads are routed to", epilog=EXIT_CODES,
        description="Manage sales callers: their states (routing pools), languages, daily lead limit and "
                    "status. Changes apply to the next lead assigned.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    formatter = argparse.RawDescriptionHelpFormatter

    listing = actions.add_parser(
        "list", help="callers with states, daily limit, leads assigned today and status", epilog=EXIT_CODES,
        description="List every caller: name, role, languages, states, daily limit (0 = unlimited), leads "
                    "assigned on today's business date, remaining today and status.")
    listing.add_argument("--json", action="store_true", help="print JSON records (with ids) instead of a table")
    add_timezone_option(listing)
    listing.set_defaults(handler=_list)

    add = actions.add_parser("add", help="create a caller", epilog=EXIT_CODES,
                             description="Create a caller; the name must be new.")
    add.add_argument("name", metavar="NAME")
    _caller_options(add, creating=True)
    add.set_defaults(handler=_add)

    edit = actions.add_parser(
        "edit", help="change a caller's settings", epilog=EXIT_CODES,
        description="Change some settings of the caller NAME; options not given stay as they are. Lists replace "
                    "the old ones (--states '' serves no state: the caller then only gets leads from the global "
                    "pool). Existing assignments are kept.")
    edit.add_argument("name", metavar="NAME")
    _caller_options(edit, creating=False)
    edit.add_argument("--rename", metavar="NEW", help="new name (must not be taken)")
    edit.set_defaults(handler=_edit)

    for action, status, text in (
            ("pause", "paused", "stop giving a caller new leads (keeps the leads they have)"),
            ("activate", "active", "give a paused or inactive caller new leads again")):
        command = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".",
                                     epilog=EXIT_CODES)
        command.add_argument("name", metavar="NAME")
        command.set_defaults(handler=_set_status, status=status)

    remove = actions.add_parser(
        "remove", help="delete a caller (one with leads is made inactive instead)", epilog=EXIT_CODES,
        description="Delete a caller who never had a lead. A caller with leads is made inactive instead, so "
                    "their assignments and the audit trail keep their caller.")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)

    load = actions.add_parser(
        "import", help="add or update callers from a CSV file (all or nothing)", formatter_class=formatter,
        description="Add or update callers from a CSV file and print a JSON summary (added, updated, "
                    "unchanged).", epilog=f"{CSV_FORMAT}\n\n{EXIT_CODES}")
    load.add_argument("--input", required=True, metavar="CALLERS.csv")
    load.set_defaults(handler=_import)


def _caller_options(parser: argparse.ArgumentParser, creating: bool) -> None:
    parser.add_argument("--role", help="e.g. Caller, Team Lead")
    parser.add_argument("--languages", metavar="A;B", help="languages spoken, separated by ';' (e.g. 'Hindi;Marathi')")
    parser.add_argument("--daily-limit", type=int, metavar="N",
                        help="leads per business day, 0 = unlimited" + (" (default 0)" if creating else ""))
    parser.add_argument("--states", metavar="S1;S2",
                        help="states served, names or codes separated by ';' (e.g. 'MH;Goa')")
    parser.add_argument("--status", choices=STATUSES, help="default active" if creating else None)


def add_timezone_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timezone", metavar="TZ", default=DEFAULT_TIMEZONE,
                        help=f"business timezone: daily counters reset at its midnight, times are shown in it "
                             f"(default {DEFAULT_TIMEZONE})")


def refusals_exit_2(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report what the user can fix (invalid input, unknown caller or lead, a refused change) in one line with
    exit status 2; anything else goes up to `salesops.cli.main` (exit 1)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from salesops.assignment import CallerError, ReassignError
        from salesops.assignment.queries import LeadNotFound

        try:
            return handler(args)
        except (UsageError, CallerError, ReassignError, LeadNotFound) as error:
            print(f"salesops: error: {error}", file=sys.stderr)
            return 2

    return run


def business_timezone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown timezone {name!r} (use an IANA name such as Asia/Kolkata)") from None


@contextmanager
def warehouse(timezone: str = DEFAULT_TIMEZONE) -> Iterator[Any]:
    """An autocommit connection to the warehouse (the engine commits each unit itself), with the session
    timezone set to the business timezone so that times come back in it."""
    import psycopg

    from salesops.warehouse import warehouse_url

    business_timezone(timezone)
    url = warehouse_url()
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as error:
        first = next((line.strip() for line in str(error).splitlines() if line.strip()), "no answer")
        raise RuntimeError(f"cannot connect to the warehouse: {first}") from None
    with conn:
        conn.execute("select set_config('TimeZone', %s, false)", (timezone,))
        yield conn


def print_json(value: Any, *, compact: bool = False) -> None:
    print(json.dumps(value, default=_json_default, ensure_ascii=False,
                     **({"separators": (",", ":")} if compact else {"indent": 2})))


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]], empty: str) -> None:
    """A plain aligned table: columns are (key, heading); lists are joined with ';', None shown as '-'."""
    if not rows:
        print(empty)
        return
    cells = [[text(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(heading), *(len(line[i]) for line in cells)) for i, (_, heading) in enumerate(columns)]
    print("  ".join(heading.ljust(width) for (_, heading), width in zip(columns, widths, strict=True)).rstrip())
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value) or "-"
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


# --- handlers ----------------------------------------------------------------------------------------------


@refusals_exit_2
def _list(args: argparse.Namespace) -> int:
    from salesops.assignment import list_callers

    with warehouse(args.timezone) as conn:
        callers = list_callers(conn, timezone=args.timezone)
    if args.json:
        print_json(callers)
        return 0
    rows = [{**caller, "daily_limit": caller["daily_limit"] or "unlimited"} for caller in callers]
    print_table(rows, [("name", "NAME"), ("role", "ROLE"), ("languages", "LANGUAGES"), ("states", "STATES"),
                       ("daily_limit", "DAILY LIMIT"), ("assigned_today", "TODAY"),
                       ("remaining_today", "REMAINING"), ("status", "STATUS")], "no callers yet")
    return 0


@refusals_exit_2
def _add(args: argparse.Namespace) -> int:
    from salesops.assignment import add_caller, caller_spec

    record = {"name": args.name, **_given(args)}
    spec = caller_spec(record)  # validate before connecting
    with warehouse() as conn:
        add_caller(conn, spec)
    print(f"added {_describe(spec)}")
    return 0


@refusals_exit_2
def _edit(args: argparse.Namespace) -> int:
    from salesops.assignment import edit_caller

    changes = _given(args)
    if args.rename is not None:
        changes["new_name"] = args.rename
    if not changes:
        raise UsageError("nothing to change: give --role, --languages, --daily-limit, --states, --status or "
                         "--rename")
    with warehouse() as conn:
        spec = edit_caller(conn, args.name, **changes)
    print(f"updated {_describe(spec)}")
    return 0


@refusals_exit_2
def _set_status(args: argparse.Namespace) -> int:
    from salesops.assignment import set_status

    with warehouse() as conn:
        spec = set_status(conn, args.name, args.status)
    print(f"{spec.name} is {spec.status}" + (": no new leads from now on, existing ones kept"
                                             if spec.status == "paused" else ": gets new leads from now on"))
    return 0


@refusals_exit_2
def _remove(args: argparse.Namespace) -> int:
    from salesops.assignment import delete_caller

    with warehouse() as conn:
        outcome = delete_caller(conn, args.name)
    print(f"{args.name}: deleted" if outcome == "deleted"
          else f"{args.name}: has leads, made inactive instead (assignments and audit trail kept)")
    return 0


@refusals_exit_2
def _import(args: argparse.Namespace) -> int:
    from salesops.assignment import import_callers_csv

    _readable(args.input)
    with warehouse() as conn:
        try:
            summary = import_callers_csv(conn, args.input)
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read {args.input}: {read_error(error)}") from None
    print_json(summary.as_dict(), compact=True)
    return 0


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The caller options given on the command line, as `caller_spec` keys."""
    values = {"role": args.role, "languages": args.languages, "daily_limit": args.daily_limit,
              "states": args.states, "status": args.status}
    return {key: value for key, value in values.items() if value is not None}


def _describe(spec: Any) -> str:
    limit = spec.daily_limit or "unlimited"
    return (f"{spec.name}: role {spec.role or '-'}, languages {text(spec.languages)}, daily limit {limit}, "
            f"states {text(spec.states)}, {spec.status}")


def _readable(path: str) -> None:
    """UsageError unless `path` is a readable UTF-8 text file (checked before anything is written)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            while handle.read(1 << 20):
                pass
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {read_error(error)}") from None


def read_error(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)
