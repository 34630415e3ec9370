"""Territory design: assign units (accounts or geographic units) to reps so that every rep's market potential
and workload stay within +-tolerance of the mean, travel (workload x haversine km from the rep's base) is
minimal, key accounts stay locked to their owner, at most a given share of potential changes owner, rep
capacities hold and excluded pairs are never used.

`solve_territories` returns a `TerritoryPlan` (assignments + JSON-ready report with status, travel, LP bound
and gap); `tradeoff_curve` solves a ladder of disruption caps so sales ops see what each extra percent of
reassignment buys; `greedy_plan` is the nearest-rep-then-rebalance baseline the benchmark compares with.
Settings no plan can meet raise `InfeasiblePlan` naming the binding constraint family; bad input raises
`TerritoryInputError`. The algorithms live in `optimization.assignment`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from optimization.assignment import Instance, LinearRelaxation, Relaxation, Search, candidate_mask, improve
from optimization.geo import haversine_km

DEFAULT_CAPS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.0)
NEAREST_REPS = 8
"""Reps each unit may go to in the integer search besides its current/locked rep (the LP prices in the rest)."""
MEASURES = ("potential", "workload")
CURVE_COLUMNS = ("cap", "status", "max_deviation", "max_deviation_potential", "max_deviation_workload",
                 "lp_min_deviation", "travel", "bound", "gap", "share_moved", "units_moved", "seconds")


class TerritoryInputError(ValueError):
    """The input tables are malformed: missing columns, unknown or duplicate ids, negative values."""


class InfeasiblePlan(ValueError):
    """No plan meets the settings; the message names the binding constraint family."""


@dataclass
class TerritoryPlan:
    """`assignments` has unit_id, rep_id for every unit (ids as given); `report` is JSON-serialisable."""

    assignments: pd.DataFrame
    report: dict[str, Any]


@dataclass
class _Problem:
    """Validated input as arrays, with the ids to map results back."""

    unit_ids: pd.Series
    rep_ids: pd.Series
    distance: NDArray[np.float64]
    instance: Instance
    locked: NDArray[np.int64]
    tolerance: float
    cap: float | None


def solve_territories(units: pd.DataFrame, reps: pd.DataFrame, current: pd.DataFrame | None = None,
                      locked: pd.DataFrame | None = None, exclusions: pd.DataFrame | None = None, *,
                      balance_tolerance: float = 0.05, max_disruption: float | None = None,
                      time_limit: float = 60.0, seed: int = 0) -> TerritoryPlan:
    """The plan with least workload-weighted travel such that every rep is within +-balance_tolerance of the
    mean potential and mean workload and at most max_disruption of total potential changes owner.

    units: unit_id, lat, lon, potential, workload; reps: rep_id, lat, lon[, capacity] (max workload, blank =
    none); current, locked, exclusions: unit_id, rep_id. Raises InfeasiblePlan if the settings cannot be met
    (or no plan meeting them was found within time_limit seconds)."""
    started = time.perf_counter()
    problem = _prepare(units, reps, current, locked, exclusions, balance_tolerance, max_disruption)
    _static_checks(problem)
    deadline = started + time_limit
    relaxation, balance, cand = _relaxations(problem)
    if balance is not None and not relaxation.feasible:
        raise InfeasiblePlan(_diagnose(problem, cand, balance))
    inst = problem.instance
    starts = [relaxation.rounded(len(inst.values))]
    if problem.cap is not None:  # the current alignment is within any cap
        starts.append(inst.current)
    search = improve(inst, cand, starts, deadline, seed=seed)
    plan = _plan(problem, search.assignment, relaxation.bound, started, search)
    if plan.report["status"] == "out_of_tolerance":
        raise InfeasiblePlan(_not_found_message(problem, plan.report, time_limit))
    return plan


def tradeoff_curve(units: pd.DataFrame, reps: pd.DataFrame, current: pd.DataFrame,
                   locked: pd.DataFrame | None = None, exclusions: pd.DataFrame | None = None, *,
                   caps: Sequence[float] = DEFAULT_CAPS, balance_tolerance: float = 0.05, time_limit: float = 20.0,
                   seed: int = 0) -> pd.DataFrame:
    """One row per disruption cap (ascending): achieved balance, travel, share moved and status.

    Formulation: under each cap the search first minimises the excess over the +-tolerance band (summed over
    reps and measures), then travel. So a cap where the tolerance is reachable gives the least-travel plan
    within it (status optimal/feasible, with LP bound and gap); a cap where it is not gives the best-balanced
    plan found (status "out_of_tolerance") next to `lp_min_deviation`, the LP lower bound on the max deviation
    any plan under that cap can reach (floored at the tolerance). Each cap starts from the previous cap's plan
    (still allowed under a larger cap) and keeps it if the new one is not better, so the curve is monotone:
    max(deviation, tolerance) never grows with the cap, and travel never grows once within tolerance.
    time_limit is per cap."""
    if current is None or current.empty:
        raise TerritoryInputError("the trade-off curve needs the current alignment (unit_id, rep_id)")
    rows, previous = [], None
    for cap in sorted(caps):
        started = time.perf_counter()
        problem = _prepare(units, reps, current, locked, exclusions, balance_tolerance, cap)
        inst = problem.instance
        if _forced_share(problem) > cap + 1e-12:  # locks and exclusions alone move more than the cap allows
            rows.append({**dict.fromkeys(CURVE_COLUMNS), "cap": cap, "status": "infeasible",
                         "share_moved": round(_forced_share(problem), 6)})
            continue
        relaxation, balance, cand = _relaxations(problem)
        lp_min_deviation = balance_tolerance
        bound = relaxation.bound if relaxation.feasible else None
        if balance is not None and not relaxation.feasible:  # the LP's best balance under this cap, and a start
            lp_min_deviation += float(balance.elastic[4])
            relaxation = LinearRelaxation(inst).solve(cand, "travel", dev_limit=tuple(balance.elastic[:2] + 1e-9))
        starts = [inst.current if previous is None else previous]
        if relaxation.feasible:
            starts.insert(0, relaxation.rounded(len(inst.values)))
        cand = candidate_mask(inst, problem.distance, NEAREST_REPS, starts) | cand
        search = improve(inst, cand, starts, started + time_limit, seed=seed)
        assignment = search.assignment
        if previous is not None and _tradeoff_key(problem, previous) <= _tradeoff_key(problem, assignment):
            assignment = previous
        plan = _plan(problem, assignment, bound, started, search)
        report = plan.report
        rows.append({
            "cap": cap, "status": report["status"],
            "max_deviation": max(report["balance"][m]["max_deviation"] for m in MEASURES),
            "max_deviation_potential": report["balance"]["potential"]["max_deviation"],
            "max_deviation_workload": report["balance"]["workload"]["max_deviation"],
            "lp_min_deviation": round(lp_min_deviation, 6), "travel": report["objective"], "bound": report["bound"],
            "gap": report["gap"], "share_moved": report["disruption"]["share_of_potential_moved"],
            "units_moved": report["disruption"]["units_moved"], "seconds": report["seconds"]})
        previous = assignment
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def greedy_plan(units: pd.DataFrame, reps: pd.DataFrame, current: pd.DataFrame | None = None,
                locked: pd.DataFrame | None = None, exclusions: pd.DataFrame | None = None, *,
                balance_tolerance: float = 0.05, max_disruption: float | None = None,
                time_limit: float = 60.0, seed: int = 0) -> TerritoryPlan:
    """Baseline: every unit to its nearest allowed rep, then single-unit moves that cut the band violation most
    cheaply until none helps. No LP, no swaps, no LNS; the report's bound and gap are those of the LP."""
    started = time.perf_counter()
    problem = _prepare(units, reps, current, locked, exclusions, balance_tolerance, max_disruption)
    inst = problem.instance
    nearest = np.where(inst.allowed, problem.distance, np.inf).argmin(axis=1)
    cand = candidate_mask(inst, problem.distance, NEAREST_REPS, [nearest])
    search = improve(inst, cand, [nearest], started + time_limit, seed=seed, neighbourhoods=False)
    seconds = time.perf_counter() - started
    relaxation, _, _ = _relaxations(problem)
    plan = _plan(problem, search.assignment, relaxation.bound if relaxation.feasible else None, started, search)
    plan.report["seconds"] = round(seconds, 2)
    return plan


def _tradeoff_key(problem: _Problem, assignment: NDArray[np.int64]) -> tuple[float, float]:
    """Lexicographic quality in the trade-off: excess of the max deviation over the tolerance, then travel."""
    excess = max(float(_deviation(problem.instance, assignment).max()) - problem.tolerance, 0.0)
    return round(excess, 9), problem.instance.travel(assignment)


def _relaxations(problem: _Problem) -> tuple[Relaxation, Relaxation | None, NDArray[np.bool_]]:
    """The travel LP over the unpruned model (columns priced in), the balance LP if it was needed, and the
    candidate mask grown with their support. A pruned travel LP can be infeasible where the full one is not:
    the balance LP (always feasible, priced the same way) then decides, and finds the missing columns."""
    inst = problem.instance
    lp = LinearRelaxation(inst)
    cand = candidate_mask(inst, problem.distance, NEAREST_REPS)
    relaxation, balance = lp.solve(cand, "travel"), None
    if not relaxation.feasible:
        balance = lp.solve(cand, "balance")
        cand[balance.units, balance.reps] = True
        if balance.elastic.max() <= 1e-9:
            relaxation = lp.solve(cand, "travel")
    cand[relaxation.units, relaxation.reps] = True
    return relaxation, balance, cand


def _diagnose(problem: _Problem, cand: NDArray[np.bool_], balance: Relaxation) -> str:
    """Why even the LP relaxation is infeasible (`balance` says how far off), naming the binding family."""
    inst, tol = problem.instance, problem.tolerance
    elastic = balance.elastic
    if elastic[2] > 1e-9:
        return (f"rep capacity is infeasible: even the LP relaxation needs capacities {elastic[2]:.1%} of the mean "
                f"workload higher (total capacity {np.nansum(inst.capacity[np.isfinite(inst.capacity)]):.6g}, "
                f"total workload {inst.values[:, 1].sum():.6g})")
    if problem.cap is not None:
        free = replace(inst, budget=math.inf)
        unconstrained = LinearRelaxation(free).solve(cand, "balance")
        if unconstrained.elastic[:2].max() <= 1e-9:
            cand = cand.copy()
            cand[unconstrained.units, unconstrained.reps] = True
            least = LinearRelaxation(inst).solve(cand, "disruption")
            need = (inst.budget + least.elastic[3] * inst.values[:, 0].sum()) / inst.values[:, 0].sum()
            return (f"disruption cap {problem.cap:.1%} is infeasible with balance tolerance {tol:.1%}: keeping every "
                    f"rep within +-{tol:.1%} of the mean potential and workload needs at least {need:.1%} of total "
                    f"potential to change owner (LP bound); raise --max-disruption or widen --balance-tolerance")
    worst = int(np.argmax(elastic[:2]))
    context = ", ".join(name for name, present in (
        ("locks", (problem.locked >= 0).any()), ("exclusions", (~inst.allowed).any()),
        ("capacities", np.isfinite(inst.capacity).any()), ("the disruption cap", problem.cap is not None))
        if present)
    given = f" given the {context}" if context else ""
    return (f"balance tolerance {tol:.1%} on {MEASURES[worst]} is infeasible{given}: even the LP relaxation "
            f"cannot bring every rep within +-{tol + elastic[worst]:.2%} of the mean {MEASURES[worst]}")


def _not_found_message(problem: _Problem, report: dict[str, Any], time_limit: float) -> str:
    """The LP is feasible but no integer plan inside the bands was found: say how far off and why it may be."""
    inst, tol = problem.instance, problem.tolerance
    worst = max(MEASURES, key=lambda m: report["balance"][m]["max_deviation"])
    largest = int(np.argmax(inst.values[:, MEASURES.index(worst)]))
    share = inst.values[largest, MEASURES.index(worst)] / inst.mean[MEASURES.index(worst)]
    detail = (f"best plan found deviates {report['balance'][worst]['max_deviation']:.2%} from the mean {worst}")
    moved = report["disruption"]["share_of_potential_moved"]
    if problem.cap is not None and moved > problem.cap + 1e-9:
        detail = f"best plan found moves {moved:.1%} of potential (cap {problem.cap:.1%})"
    return (f"balance tolerance {tol:.1%} on {worst}: no plan found within {time_limit:g} s although the LP "
            f"relaxation is feasible; {detail}. Units are indivisible (unit {problem.unit_ids.iloc[largest]} alone "
            f"holds {share:.1%} of the mean {worst}): widen --balance-tolerance or raise --time-limit")


def _plan(problem: _Problem, assignment: NDArray[np.int64], bound: float | None, started: float,
          search: Search) -> TerritoryPlan:
    inst, tol = problem.instance, problem.tolerance
    assert inst.allowed[np.arange(len(assignment)), assignment].all(), "a plan broke a lock or an exclusion"
    travel = inst.travel(assignment)
    balance = _balance(inst, assignment)
    within = (_deviation(inst, assignment).max() <= tol + 1e-12
              and (_loads(inst, assignment)[:, 1] <= inst.capacity).all() and inst.moved(assignment) <= inst.budget)
    lp_bound = bound
    if within and search.proven:
        bound = travel
    gap = (travel - bound) / travel if bound is not None and within and travel > 0 else None
    status = "out_of_tolerance" if not within else "optimal" if gap is not None and gap <= 1e-4 else "feasible"
    owned = inst.current >= 0
    moved = owned & (assignment != inst.current)
    total_potential = float(inst.values[:, 0].sum())
    report: dict[str, Any] = {
        "status": status,
        "objective": round(travel, 3),
        "bound": None if bound is None else round(bound, 3),
        "lp_bound": None if lp_bound is None else round(lp_bound, 3),
        "gap": None if gap is None else round(max(gap, 0.0), 6),
        "travel_km_per_workload": round(travel / float(inst.values[:, 1].sum()), 3),
        "balance": balance,
        "balance_tolerance": tol,
        "disruption": {
            "cap": problem.cap,
            "share_of_potential_moved": round(float(inst.values[moved, 0].sum()) / total_potential, 6),
            "units_moved": int(moved.sum()),
            "units_with_owner": int(owned.sum()),
        },
        "units": len(assignment),
        "reps": len(problem.rep_ids),
        "locked_units": int((problem.locked >= 0).sum()),
        "seconds": round(time.perf_counter() - started, 2),
        "search": {"lns_subproblems": search.subproblems, "lns_improvements": search.improvements},
    }
    assignments = pd.DataFrame({"unit_id": problem.unit_ids.to_numpy(),
                                "rep_id": problem.rep_ids.to_numpy()[assignment]})
    return TerritoryPlan(assignments, report)


def _loads(inst: Instance, assignment: NDArray[np.int64]) -> NDArray[np.float64]:
    """(rep, measure) sums."""
    reps = inst.cost.shape[1]
    return np.stack([np.bincount(assignment, weights=inst.values[:, k], minlength=reps) for k in range(2)], axis=1)


def _deviation(inst: Instance, assignment: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per measure, the largest relative deviation of a rep's load from the mean (unrounded)."""
    return np.abs(_loads(inst, assignment) / inst.mean - 1).max(axis=0)


def _balance(inst: Instance, assignment: NDArray[np.int64]) -> dict[str, dict[str, float]]:
    """Per measure: min and max rep load, the mean, and the largest relative deviation from it."""
    loads, deviation = _loads(inst, assignment), _deviation(inst, assignment)
    return {name: {"min": round(float(loads[:, k].min()), 4), "max": round(float(loads[:, k].max()), 4),
                   "mean": round(float(inst.mean[k]), 4), "max_deviation": round(float(deviation[k]), 6)}
            for k, name in enumerate(MEASURES)}


def _static_checks(problem: _Problem) -> None:
    """Infeasibility that shows without solving, with the most precise message: a unit too big for any band,
    locks overfilling a rep, capacities below the workload band, locks or exclusions forcing moves over the cap."""
    inst, tol = problem.instance, problem.tolerance
    for k, name in enumerate(MEASURES):
        biggest = int(np.argmax(inst.values[:, k]))
        if inst.values[biggest, k] > inst.upper[0, k]:
            raise InfeasiblePlan(
                f"balance tolerance {tol:.1%} on {name} is infeasible: unit {problem.unit_ids.iloc[biggest]} "
                f"alone holds {inst.values[biggest, k] / inst.mean[k]:.1%} of the mean {name} per rep, above "
                f"the {1 + tol:.1%} band")
    locked = problem.locked >= 0
    for k, name in enumerate(MEASURES):
        load = np.bincount(problem.locked[locked], weights=inst.values[locked, k], minlength=inst.cost.shape[1])
        rep = int(np.argmax(load))
        if load[rep] > inst.upper[rep, k]:
            raise InfeasiblePlan(
                f"locks are infeasible with balance tolerance {tol:.1%}: the units locked to rep "
                f"{problem.rep_ids.iloc[rep]} hold {load[rep] / inst.mean[k]:.1%} of the mean {name}, above the "
                f"{1 + tol:.1%} band")
    short = np.flatnonzero(inst.capacity < inst.lower[:, 1])
    if len(short):
        rep = int(short[0])
        raise InfeasiblePlan(
            f"capacity of rep {problem.rep_ids.iloc[rep]} ({inst.capacity[rep]:.6g}) is below the workload "
            f"balance band's lower end ({inst.lower[rep, 1]:.6g} = mean workload - {tol:.1%}): capacity and "
            f"balance on workload conflict")
    if inst.capacity.sum() < inst.values[:, 1].sum():
        raise InfeasiblePlan(f"rep capacity is infeasible: total capacity {inst.capacity.sum():.6g} is below total "
                             f"workload {inst.values[:, 1].sum():.6g}")
    if problem.cap is not None and _forced_share(problem) > problem.cap + 1e-12:
        raise InfeasiblePlan(f"disruption cap {problem.cap:.1%} is infeasible: locks and exclusions alone move "
                             f"{_forced_share(problem):.1%} of total potential to a new owner")


def _forced_share(problem: _Problem) -> float:
    """Share of potential that must change owner: units whose current rep is now locked out or excluded."""
    inst = problem.instance
    owned = inst.current >= 0
    forced = owned & ~inst.allowed[np.arange(len(owned)), np.maximum(inst.current, 0)]
    return float(inst.values[forced, 0].sum() / inst.values[:, 0].sum())


def _prepare(units: pd.DataFrame, reps: pd.DataFrame, current: pd.DataFrame | None, locked: pd.DataFrame | None,
             exclusions: pd.DataFrame | None, tolerance: float, cap: float | None) -> _Problem:
    """Validate the tables and settings and build the arrays (ids are matched as strings)."""
    if not 0 <= tolerance < 1:
        raise TerritoryInputError(f"balance tolerance must be in [0, 1), got {tolerance}")
    if cap is not None and not 0 <= cap <= 1:
        raise TerritoryInputError(f"max disruption must be in [0, 1], got {cap}")
    if cap is not None and (current is None or current.empty):
        raise TerritoryInputError("max disruption needs the current alignment (unit_id, rep_id) it is measured against")
    _require(units, "units", ("unit_id", "lat", "lon", "potential", "workload"))
    _require(reps, "reps", ("rep_id", "lat", "lon"))
    unit_key = _ids(units["unit_id"], "units", "unit_id")
    rep_key = _ids(reps["rep_id"], "reps", "rep_id")
    unit_pos = pd.Series(np.arange(len(units)), index=unit_key)
    rep_pos = pd.Series(np.arange(len(reps)), index=rep_key)
    for table, frame, column in (("units", units, "lat"), ("units", units, "lon"), ("units", units, "potential"),
                                 ("units", units, "workload"), ("reps", reps, "lat"), ("reps", reps, "lon")):
        _numbers(frame, table, column)
    for table, frame in (("units", units), ("reps", reps)):
        if ((frame["lat"].astype(float).abs() > 90) | (frame["lon"].astype(float).abs() > 180)).any():
            raise TerritoryInputError(f"{table}: lat must be within [-90, 90] and lon within [-180, 180]")
    values = units[list(MEASURES)].to_numpy(dtype=float)
    for k, name in enumerate(MEASURES):
        if (values[:, k] < 0).any():
            bad = units["unit_id"].iloc[int(np.argmax(values[:, k] < 0))]
            raise TerritoryInputError(f"units: {name} must not be negative (unit {bad})")
        if values[:, k].sum() <= 0:
            raise TerritoryInputError(f"units: total {name} must be positive")
    n, r = len(units), len(reps)
    capacity = np.full(r, np.inf)
    if "capacity" in reps.columns:
        given = pd.to_numeric(reps["capacity"], errors="coerce")
        if (given.isna() & reps["capacity"].notna() & (reps["capacity"].astype(str).str.strip() != "")).any():
            raise TerritoryInputError("reps: capacity must be a number (blank = no limit)")
        if (given <= 0).any():
            raise TerritoryInputError("reps: capacity must be positive (blank = no limit)")
        capacity = given.fillna(np.inf).to_numpy(dtype=float)
    current_rep = _pairs(current, "current", unit_pos, rep_pos, n)
    locked_rep = _pairs(locked, "locked", unit_pos, rep_pos, n)
    allowed = np.ones((n, r), dtype=bool)
    if exclusions is not None and len(exclusions):
        _require(exclusions, "exclusions", ("unit_id", "rep_id"))
        rows = _lookup(exclusions["unit_id"], unit_pos, "exclusions", "unit")
        cols = _lookup(exclusions["rep_id"], rep_pos, "exclusions", "rep")
        allowed[rows, cols] = False
    locked_units = np.flatnonzero(locked_rep >= 0)
    clash = locked_units[~allowed[locked_units, locked_rep[locked_units]]]
    if len(clash):
        raise TerritoryInputError(f"locked: unit {units['unit_id'].iloc[clash[0]]} is locked to a rep it is "
                                  f"excluded from")
    allowed[locked_units] = False
    allowed[locked_units, locked_rep[locked_units]] = True
    nowhere = np.flatnonzero(~allowed.any(axis=1))
    if len(nowhere):
        raise TerritoryInputError(f"exclusions: unit {units['unit_id'].iloc[nowhere[0]]} is excluded from every rep")
    distance = haversine_km(units["lat"], units["lon"], reps["lat"], reps["lon"])
    mean = values.sum(axis=0) / r
    total_potential = values[:, 0].sum()
    instance = Instance(
        values=values, cost=values[:, 1:] * distance, allowed=allowed,
        lower=np.tile((1 - tolerance) * mean, (r, 1)), upper=np.tile((1 + tolerance) * mean, (r, 1)),
        capacity=capacity, current=current_rep, budget=math.inf if cap is None else cap * total_potential)
    return _Problem(units["unit_id"].reset_index(drop=True), reps["rep_id"].reset_index(drop=True), distance,
                    instance, locked_rep, tolerance, cap)


def _require(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TerritoryInputError(
            f"{table}: missing column(s) {', '.join(missing)} (has {', '.join(map(str, frame.columns))})")
    if table in ("units", "reps") and frame.empty:
        raise TerritoryInputError(f"{table}: no rows")


def _ids(column: pd.Series, table: str, name: str) -> pd.Index:
    if column.isna().any():
        raise TerritoryInputError(f"{table}: {name} must not be blank")
    key = pd.Index(column.astype(str).str.strip())
    if key.has_duplicates:
        raise TerritoryInputError(f"{table}: duplicate {name} {key[key.duplicated()][0]}")
    return key


def _numbers(frame: pd.DataFrame, table: str, column: str) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any() or not np.isfinite(values.to_numpy(dtype=float)).all():
        raise TerritoryInputError(f"{table}: {column} must be a finite number in every row")


def _lookup(column: pd.Series, positions: pd.Series, table: str, kind: str) -> NDArray[np.int64]:
    key = column.astype(str).str.strip()
    unknown = key[~key.isin(positions.index)]
    if len(unknown):
        raise TerritoryInputError(f"{table}: unknown {kind} {unknown.iloc[0]}")
    return positions.loc[key].to_numpy(dtype=np.int64)


def _pairs(frame: pd.DataFrame | None, table: str, unit_pos: pd.Series, rep_pos: pd.Series,
           n: int) -> NDArray[np.int64]:
    """unit -> rep index from a unit_id, rep_id table (-1 where absent)."""
    out = np.full(n, -1, dtype=np.int64)
    if frame is None or frame.empty:
        return out
    _require(frame, table, ("unit_id", "rep_id"))
    rows = _lookup(frame["unit_id"], unit_pos, table, "unit")
    if len(np.unique(rows)) < len(rows):
        raise TerritoryInputError(f"{table}: a unit appears twice")
    out[rows] = _lookup(frame["rep_id"], rep_pos, table, "rep")
    return out
