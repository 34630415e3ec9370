"""`salesops territory solve|tradeoff`: balanced territory design from CSV files (see `optimization.territory`)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

INPUTS = """input CSVs (header row; ids are matched as text):
  UNITS       unit_id,lat,lon,potential,workload   (potential, workload >= 0)
  REPS        rep_id,lat,lon[,capacity]            (capacity = max workload, blank = none)
  CURRENT     unit_id,rep_id   today's owner; units missing here are new and free to place
  LOCKED      unit_id,rep_id   key accounts that must stay with this rep
  EXCLUSIONS  unit_id,rep_id   pairs that must never be used"""

EXIT_CODES = """exit status: 0 plan found; 1 bad input (missing columns, unknown or duplicate ids, negative values);
2 infeasible settings (the message names the binding constraint: balance on potential or workload, disruption
cap, capacity, locks)."""


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("territory", help="balanced territory design and the balance/disruption trade-off")
    actions = parser.add_subparsers(dest="action", required=True)
    formatter = argparse.RawDescriptionHelpFormatter
    solve = actions.add_parser(
        "solve", help="assign units to reps; writes the plan CSV, prints a JSON report", formatter_class=formatter,
        description=_wrap(
            "Assign every unit to a rep so that each rep's potential and workload are within "
                    "+-tolerance of the mean, minimising workload-weighted travel (haversine km from the rep's base),"
                    " with locks, exclusions, capacities and a cap on the share of potential that changes owner. "
                    "Writes PLAN (unit_id,rep_id for every unit) and prints a JSON report: status (optimal / "
                    "feasible), objective (travel), LP bound and gap, balance per measure (min, max, mean, "
                    "max_deviation), disruption (share of potential moved, units moved) and seconds."),
        epilog=f"{INPUTS}\n\n{EXIT_CODES}")
    _inputs(solve, current_required=False)
    solve.add_argument("--max-disruption", type=float, default=None, metavar="SHARE",
                       help="max share of total potential that may change owner vs CURRENT, e.g. 0.2 (default: no cap)")
    solve.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="seconds (default 60)")
    solve.add_argument("--out", required=True, metavar="PLAN.csv", help="where to write unit_id,rep_id")
    solve.set_defaults(handler=_solve)
    tradeoff = actions.add_parser(
        "tradeoff", help="balance, travel and share moved for a ladder of disruption caps", formatter_class=formatter,
        description=_wrap(
            "Solve once per disruption cap and print the curve: cap -> status, max deviation of potential "
                    "and workload from the mean, LP lower bound on the deviation, travel, gap, share of potential "
                    "moved, units moved. Under a cap where the tolerance is reachable the plan is the least-travel "
                    "one within it; where it is not, the plan minimises the excess over the tolerance band (status "
                    "out_of_tolerance) and lp_min_deviation shows the best any plan could do. Each cap starts from "
                    "the previous cap's plan, so balance never gets worse as the cap grows."),
        epilog=f"{INPUTS}\n\n{EXIT_CODES}")
    _inputs(tradeoff, current_required=True)
    tradeoff.add_argument("--caps", default="0,0.05,0.1,0.15,0.2,0.3,0.5,1",
                          help="comma-separated shares of potential (default 0,0.05,0.1,0.15,0.2,0.3,0.5,1)")
    tradeoff.add_argument("--time-limit", type=float, default=20.0, metavar="S", help="seconds per cap (default 20)")
    tradeoff.add_argument("--json", action="store_true", help="print the curve as JSON records instead of a table")
    tradeoff.set_defaults(handler=_tradeoff)


def _wrap(text: str) -> str:
    """Descriptions wrapped by hand: the raw formatter keeps the input table in the epilog aligned."""
    return textwrap.fill(text, 100)


def _inputs(parser: argparse.ArgumentParser, current_required: bool) -> None:
    parser.add_argument("--units", required=True, metavar="UNITS.csv")
    parser.add_argument("--reps", required=True, metavar="REPS.csv")
    parser.add_argument("--current", required=current_required, metavar="CURRENT.csv",
                        help="current alignment" + ("" if current_required else " (needed for --max-disruption)"))
    parser.add_argument("--locked", metavar="LOCKED.csv", help="locked unit -> rep pairs")
    parser.add_argument("--exclusions", metavar="EXCLUSIONS.csv", help="forbidden unit -> rep pairs")
    parser.add_argument("--balance-tolerance", type=float, default=0.05, metavar="SHARE",
                        help="allowed deviation from the mean potential and workload per rep (default 0.05)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")


def _tables(args: argparse.Namespace) -> dict:
    import pandas as pd

    ids = {"unit_id": str, "rep_id": str}
    read = {name: getattr(args, name) for name in ("units", "reps", "current", "locked", "exclusions")}
    return {name: None if path is None else pd.read_csv(path, dtype=ids, skipinitialspace=True)
            for name, path in read.items()}


def _solve(args: argparse.Namespace) -> int:
    from optimization.territory import InfeasiblePlan, solve_territories

    tables = _tables(args)
    if args.max_disruption is not None and tables["current"] is None:
        raise ValueError("--max-disruption needs --current (the alignment disruption is measured against)")
    try:
        plan = solve_territories(**tables, balance_tolerance=args.balance_tolerance,
                                 max_disruption=args.max_disruption, time_limit=args.time_limit, seed=args.seed)
    except InfeasiblePlan as error:
        print(f"salesops: error: infeasible: {error}", file=sys.stderr)
        return 2
    plan.assignments.to_csv(args.out, index=False)
    print(json.dumps(plan.report, indent=2))
    return 0


def _tradeoff(args: argparse.Namespace) -> int:
    import pandas as pd

    from optimization.territory import InfeasiblePlan, tradeoff_curve

    try:
        caps = [float(cap) for cap in args.caps.split(",") if cap.strip()]
    except ValueError:
        raise ValueError(f"--caps must be comma-separated numbers, got {args.caps!r}") from None
    try:
        curve = tradeoff_curve(**_tables(args), caps=caps, balance_tolerance=args.balance_tolerance,
                               time_limit=args.time_limit, seed=args.seed)
    except InfeasiblePlan as error:
        print(f"salesops: error: infeasible: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(curve.to_json(orient="records", indent=2))
        return 0
    shown = {"cap": ("cap", "{:.0%}"), "status": ("status", "{}"),
             "dev_potential": ("max_deviation_potential", "{:.2%}"),
             "dev_workload": ("max_deviation_workload", "{:.2%}"), "lp_min_dev": ("lp_min_deviation", "{:.2%}"),
             "travel": ("travel", "{:,.0f}"), "gap": ("gap", "{:.2%}"), "moved": ("share_moved", "{:.1%}"),
             "units_moved": ("units_moved", "{:.0f}"), "seconds": ("seconds", "{:.1f}")}
    table = pd.DataFrame({name: curve[column].map(lambda v, f=fmt: "-" if pd.isna(v) else f.format(v))
                          for name, (column, fmt) in shown.items()})
    print(table.to_string(index=False))
    return 0
