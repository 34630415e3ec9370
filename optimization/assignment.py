"""Balanced assignment engine behind territory design: give each of n units one of R reps so that every rep's
sums of two measures (potential, workload) stay inside bands, capacities and a disruption budget hold, and the
assignment cost (workload-weighted travel) is minimal. Pure numpy + OR-Tools; `optimization.territory` wraps
it in DataFrames and reports.

Why this pipeline (measured on the 1,000 x 25 and 3,000 x 60 instances of `benchmarks.territory`, 2 shared cores):
- the whole MIP, even pruned to each unit's 6 nearest reps, defeats generic search: SCIP, CP-SAT and HiGHS found
  no plan within +-5% in 30 s (two-sided bands on two measures for every rep starve their primal heuristics),
  and CP-SAT handed a feasible plan as hint improved it from 2.0% to 1.5% above the LP bound in 5 minutes;
  their root bounds sat within 0.1% of the LP's, so the LP bound is what the gap is reported against;
- the LP relaxation (GLOP dual simplex) over each unit's 8 nearest reps plus columns priced in from the full
  matrix reaches the unpruned optimum in 2-3 rounds (1.5 s on 3,000 x 60; the unpruned LP alone takes 3.2 s);
- rounding it and a penalty local search (moves and swaps, numpy-vectorised per rep) reach the bands at about
  1% above the bound in 0.4 s / 2 s;
- large-neighbourhood search, re-solving the units of 3-6 reps that share candidates exactly with CP-SAT (a
  sub-problem takes 20-50 ms), brings that to about 0.5% within 60 s; groups of 5-10 reps did worse (0.64% vs
  0.51% at 40 s on 3,000 x 60).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh
from ortools.sat.python import cp_model

RESOLUTION = 10**8
"""Integer quanta per mean rep load: local search and CP-SAT work on integers, exact and conservative."""
FIRST_PENALTY = 1000.0
"""Local search starts at penalty = this many average unit travel costs per mean load of violation: lower
starts drift into cheap infeasible plans and climb out expensively (measured 5% vs 1% gap after the search)."""
SUB_LIMIT = 0.5
"""Seconds per LNS sub-problem: most solve to optimality in 20-50 ms; the few hard ones are cut here."""
ELASTIC_WEIGHT = 1000.0
"""In the balance LP, a unit of capacity or disruption excess costs this many units of band excess."""
BUDGET_WEIGHT = 10**6
"""In the search, a unit of disruption excess weighs this many units of band excess: the cap is never traded."""
ELASTIC = 5
"""Elastic LP columns: band excess potential, band excess workload, capacity, disruption, max band excess."""


@dataclass(frozen=True)
class Instance:
    """The problem in arrays. Measures are column 0 = potential (also what the disruption budget counts) and
    column 1 = workload (also what capacities limit); `current` is -1 for units without an owner."""

    values: NDArray[np.float64]
    cost: NDArray[np.float64]
    allowed: NDArray[np.bool_]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    capacity: NDArray[np.float64]
    current: NDArray[np.int64]
    budget: float = math.inf

    @property
    def mean(self) -> NDArray[np.float64]:
        """Mean load per rep for each measure: the unit in which deviations are measured."""
        return self.values.sum(axis=0) / self.cost.shape[1]

    def moved(self, assignment: NDArray[np.int64]) -> float:
        """Potential whose owner changes relative to the current alignment (new units do not count)."""
        owned = self.current >= 0
        return float(self.values[owned & (assignment != self.current), 0].sum())

    def travel(self, assignment: NDArray[np.int64]) -> float:
        return float(self.cost[np.arange(len(assignment)), assignment].sum())


@dataclass
class Relaxation:
    """LP relaxation of the full unit x rep model. `value` is the LP optimum over the columns generated so far and
    `bound` a Lagrangian lower bound valid for the full model (equal at convergence); `elastic` is the excess the
    LP needed: band potential, band workload (relative to the mean), capacity (relative to mean workload),
    disruption (relative to total potential), and the larger of the two band excesses."""

    feasible: bool
    value: float
    bound: float
    units: NDArray[np.int64]
    reps: NDArray[np.int64]
    x: NDArray[np.float64]
    elastic: NDArray[np.float64]
    rounds: int

    def rounded(self, n: int) -> NDArray[np.int64]:
        """Each unit to the rep holding its largest LP share."""
        order = np.lexsort((-self.x, self.units))
        first = np.r_[True, self.units[order][1:] != self.units[order][:-1]]
        assignment = np.full(n, -1, dtype=np.int64)
        assignment[self.units[order][first]] = self.reps[order][first]
        return assignment


class LinearRelaxation:
    """The LP by column generation: solved (GLOP, dual simplex) over a candidate mask, then the allowed pairs
    with negative reduced cost under its duals are added, until the Lagrangian bound of those duals over the
    whole unit x rep matrix meets the LP value: the bound is that of the unpruned model at a fraction of its size.

    Rows: assignment (n) | band lower (2R, rep-major) | band upper (2R) | capacity (R) | disruption (1) |
    band excess potential, workload <= max band excess (2). Columns: the candidate pairs, then the elastic
    excesses (see `Relaxation.elastic`)."""

    def __init__(self, instance: Instance) -> None:
        self.inst = instance

    def solve(self, cand: NDArray[np.bool_], objective: str = "travel",
              dev_limit: tuple[float, float] = (0.0, 0.0), max_rounds: int = 40) -> Relaxation:
        """objective: "travel" (band excess capped at dev_limit), "balance" (minimise the larger band excess, i.e.
        the max deviation, with capacity and disruption excess weighted far higher) or "disruption" (least
        potential moved within the bands)."""
        inst = self.inst
        n = inst.cost.shape[0]
        column_cost = self._column_cost(objective)
        tolerance = 1e-5 if objective == "travel" else 0.0  # relative: the bound is reported, not decided on
        elastic_hi, elastic_cost = self._elastic(objective, dev_limit)
        row_lo, row_hi = self._row_bounds()
        for rounds in range(1, max_rounds + 1):
            units, rr = np.nonzero(cand)
            matrix = self._matrix(units, rr)
            helper = mbh.ModelBuilderHelper()
            helper.fill_model_from_sparse_data(np.zeros(len(units) + ELASTIC), np.r_[np.ones(len(units)), elastic_hi],
                                               np.r_[column_cost[units, rr], elastic_cost], row_lo, row_hi, matrix)
            solver = mbh.ModelSolverHelper("GLOP")
            # dual simplex is 3-4x faster on the travel LP; the balance and disruption LPs, with almost no cost
            # on the pair columns, are degenerate for it (25 s vs 4 s primal on 3,000 x 60)
            solver.set_solver_specific_parameters(f"use_dual_simplex: {str(objective == 'travel').lower()}")
            solver.solve(helper)
            if solver.status() != mbh.SolveStatus.OPTIMAL:
                empty = np.zeros(len(units))
                return Relaxation(False, math.nan, math.nan, units, rr, empty, np.full(ELASTIC, np.inf), rounds)
            value, values, duals = solver.objective_value(), solver.variable_values(), solver.dual_values()
            y = np.where(row_hi == row_lo, duals, np.where(np.isfinite(row_lo), np.maximum(duals, 0), 0.0)
                         + np.where(np.isfinite(row_hi), np.minimum(duals, 0), 0.0))  # dual signs, as in theory
            reduced = column_cost - self._priced(y, with_assignment=False)
            reduced[~inst.allowed] = np.inf
            elastic_reduced = elastic_cost - matrix[:, len(units):].T @ y
            with np.errstate(invalid="ignore"):
                elastic_term = np.where(elastic_reduced < 0, elastic_reduced * elastic_hi, 0.0).sum()
            bound = float(reduced.min(axis=1).sum() + self._rhs_value(y, row_lo, row_hi) + elastic_term)
            reduced -= duals[:n, None]
            reduced[cand] = np.inf
            entering = reduced < -1e-9 * (abs(value) + 1.0)
            if not entering.any() or value - bound <= tolerance * abs(value):
                m = len(units)
                return Relaxation(True, float(value), min(bound, float(value)), units, rr, values[:m], values[m:],
                                  rounds)
            # the few most negative columns per unit: converges in a handful of rounds
            pick = np.zeros_like(entering)
            np.put_along_axis(pick, np.argsort(reduced, axis=1)[:, :3], True, axis=1)
            cand = cand | (entering & pick)
        raise RuntimeError(f"LP column generation did not converge in {max_rounds} rounds")

    def _column_cost(self, objective: str) -> NDArray[np.float64]:
        inst = self.inst
        if objective == "travel":
            return inst.cost
        column = np.zeros_like(inst.cost)
        if objective == "disruption":
            owned = np.flatnonzero(inst.current >= 0)
            column[owned, inst.current[owned]] = -inst.values[owned, 0] / inst.values[:, 0].sum()
        return column

    @staticmethod
    def _elastic(objective: str, dev_limit: tuple[float, float]) -> tuple[NDArray, NDArray]:
        """Upper bounds and costs of the elastic columns."""
        if objective == "travel":
            return np.array([dev_limit[0], dev_limit[1], 0.0, 0.0, np.inf]), np.zeros(ELASTIC)
        if objective == "balance":  # the small weight also minimises the smaller band excess, for diagnosis
            return np.full(ELASTIC, np.inf), np.array([1e-3, 1e-3, ELASTIC_WEIGHT, ELASTIC_WEIGHT, 1.0])
        return np.array([0.0, 0.0, 0.0, np.inf, np.inf]), np.zeros(ELASTIC)

    def _priced(self, y: NDArray[np.float64], with_assignment: bool = True) -> NDArray[np.float64]:
        """A^T y for every (unit, rep) column."""
        inst = self.inst
        n, reps = inst.cost.shape
        band = y[n:n + 4 * reps].reshape(2, reps, 2).sum(axis=0)  # (rep, measure): lower + upper rows
        cap = y[n + 4 * reps:n + 5 * reps]
        priced = inst.values[:, :1] * band[None, :, 0] + inst.values[:, 1:] * (band[:, 1] + cap)[None, :]
        if with_assignment:
            priced += y[:n, None]
        owned = np.flatnonzero(inst.current >= 0)
        priced[owned, inst.current[owned]] += y[n + 5 * reps] * inst.values[owned, 0]
        return priced

    def _rhs_value(self, y: NDArray[np.float64], row_lo: NDArray, row_hi: NDArray) -> float:
        """Sum over the non-assignment rows of dual times the bound it prices."""
        n = self.inst.cost.shape[0]
        side = np.where(y[n:] > 0, row_lo[n:], np.where(y[n:] < 0, row_hi[n:], 0.0))
        return float((y[n:] * side).sum())

    def _row_bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        inst = self.inst
        n, reps = inst.cost.shape
        owned_potential = inst.values[inst.current >= 0, 0].sum()
        disruption = owned_potential - inst.budget if math.isfinite(inst.budget) else -np.inf
        row_lo = np.concatenate([np.ones(n), inst.lower.ravel(), np.full(3 * reps, -np.inf), [disruption],
                                 [-np.inf, -np.inf]])
        row_hi = np.concatenate([np.ones(n), np.full(2 * reps, np.inf), inst.upper.ravel(), inst.capacity, [np.inf],
                                 [0.0, 0.0]])
        return row_lo, row_hi

    def _matrix(self, units: NDArray[np.int64], rr: NDArray[np.int64]) -> sp.csr_matrix:
        inst = self.inst
        n, reps = inst.cost.shape
        m = len(units)
        mean = inst.mean
        pot, work = inst.values[units, 0], inst.values[units, 1]
        cols = np.arange(m)
        home = (inst.current[units] >= 0) & (rr == inst.current[units])
        lower_row, upper_row = n + 2 * rr, n + 2 * reps + 2 * rr
        rows = [units, lower_row, lower_row + 1, upper_row, upper_row + 1, n + 4 * reps + rr,
                np.full(home.sum(), n + 5 * reps)]
        cols_ = [cols, cols, cols, cols, cols, cols, cols[home]]
        vals = [np.ones(m), pot, work, pot, work, work, pot[home]]
        every_rep = np.arange(reps)
        for first_row, sign in ((n, 1.0), (n + 2 * reps, -1.0)):  # band excess widens lower and upper rows
            for measure in range(2):
                rows.append(first_row + 2 * every_rep + measure)
                cols_.append(np.full(reps, m + measure))
                vals.append(np.full(reps, sign * mean[measure]))
        last = n + 5 * reps + 1
        rows += [n + 4 * reps + every_rep, np.array([n + 5 * reps]), np.array([last, last + 1, last, last + 1])]
        cols_ += [np.full(reps, m + 2), np.array([m + 3]), np.array([m, m + 1, m + 4, m + 4])]
        vals += [np.full(reps, -mean[1]), np.array([inst.values[:, 0].sum()]), np.array([1.0, 1.0, -1.0, -1.0])]
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols_))),
                             shape=(last + 2, m + ELASTIC))


class _Scaled:
    """Integer image of the instance: loads in quanta of mean / RESOLUTION, bands shrunk by the worst rounding
    error of all units together, so a plan inside the integer bands is inside the real ones."""

    def __init__(self, inst: Instance) -> None:
        mean = np.where(inst.mean > 0, inst.mean, 1.0)
        quantum = mean / RESOLUTION
        self.values = np.rint(inst.values / quantum)
        margin = math.ceil(0.5 * len(inst.values)) + 1
        upper = np.c_[inst.upper[:, 0], np.minimum(inst.upper[:, 1], inst.capacity)]
        ceiling = self.values.sum(axis=0) + 1  # no rep can exceed the total: keeps CP-SAT bounds finite
        self.lower = np.ceil(inst.lower / quantum) + margin
        self.upper = np.floor(np.minimum(upper / quantum, ceiling)) - margin
        self.budget = (math.floor(inst.budget / quantum[0]) - margin) if math.isfinite(inst.budget) else math.inf


class _State:
    """An assignment with its rep loads and moved potential, updated incrementally."""

    def __init__(self, scaled: _Scaled, current: NDArray[np.int64], assignment: NDArray[np.int64]) -> None:
        self.scaled, self.current = scaled, current
        self.a = assignment.copy()
        self.load = np.zeros((scaled.lower.shape[0], 2))
        np.add.at(self.load, self.a, scaled.values)
        owned = current >= 0
        self.moved = float(scaled.values[owned & (self.a != current), 0].sum())

    def rep_violation(self, load: NDArray[np.float64], reps: NDArray[np.int64] | int) -> NDArray[np.float64]:
        lo, hi = self.scaled.lower[reps], self.scaled.upper[reps]
        return (np.maximum(lo - load, 0) + np.maximum(load - hi, 0)).sum(axis=-1) / RESOLUTION

    def budget_violation(self, moved: NDArray[np.float64] | float) -> NDArray[np.float64] | float:
        return BUDGET_WEIGHT * np.maximum(moved - self.scaled.budget, 0) / RESOLUTION

    def violation(self) -> float:
        reps = np.arange(len(self.load))
        return float(self.rep_violation(self.load, reps).sum() + self.budget_violation(self.moved))

    def shift(self, unit: int, rep: int) -> None:
        old = self.a[unit]
        value = self.scaled.values[unit]
        self.load[old] -= value
        self.load[rep] += value
        if self.current[unit] >= 0:
            self.moved += value[0] * (int(self.current[unit] == old) - int(self.current[unit] == rep))
        self.a[unit] = rep


class LocalSearch:
    """Penalty local search, one rep at a time: every single move into or out of the rep and every swap with
    a unit of another rep is scored at once with numpy. Outside the bands the score is travel + penalty x
    violation (penalty raised tenfold at each local optimum); inside, only moves that keep the plan inside and
    cut travel are taken."""

    def __init__(self, inst: Instance, scaled: _Scaled, cand: NDArray[np.bool_], swaps: bool = True) -> None:
        self.inst, self.scaled, self.cand, self.swaps = inst, scaled, cand, swaps
        self.incoming = [np.flatnonzero(cand[:, r]) for r in range(cand.shape[1])]
        self.unit_cost = float(np.where(cand, inst.cost, np.inf).min(axis=1).mean()) + 1e-9

    def run(self, assignment: NDArray[np.int64], deadline: float, rng: np.random.Generator) -> NDArray[np.int64]:
        state = _State(self.scaled, self.inst.current, assignment)
        penalty = FIRST_PENALTY
        while time.perf_counter() < deadline:
            self._descend(state, penalty * self.unit_cost, deadline, rng)
            if state.violation() == 0 or penalty > 1e9:
                break
            penalty *= 10
        return state.a

    def _descend(self, state: _State, penalty: float, deadline: float, rng: np.random.Generator) -> None:
        reps = self.cand.shape[1]
        quiet = 0
        order = rng.permutation(reps)
        k = 0
        while quiet < reps and time.perf_counter() < deadline:
            rep = int(order[k % reps])
            k += 1
            best = self._best(state, rep, penalty if state.violation() > 0 else None)
            if best is None:
                quiet += 1
                continue
            quiet = 0
            k -= 1  # stay on this rep while it improves
            for unit, to in best:
                state.shift(unit, to)

    def _best(self, state: _State, s: int, penalty: float | None) -> list[tuple[int, int]] | None:
        """Best move or swap touching rep s (None if none improves); penalty None = stay inside the bands."""
        cand, cost, values, cur = self.cand, self.inst.cost, self.scaled.values, self.inst.current
        a, load = state.a, state.load
        here = np.flatnonzero(a == s)
        there = self.incoming[s]
        there = there[a[there] != s]
        base_s = state.rep_violation(load[s], s)
        base_budget = state.budget_violation(state.moved)
        pot = values[:, 0]

        def moved_delta(units: NDArray[np.int64], src: NDArray[np.int64], dst: NDArray[np.int64]) -> NDArray:
            return np.where(cur[units] >= 0, pot[units] * ((cur[units] == src).astype(float) - (cur[units] == dst)), 0)

        options: list[tuple[NDArray, NDArray, NDArray, list[tuple[NDArray, NDArray]]]] = []
        if len(here):
            iu, rr = np.nonzero(cand[here])
            units = here[iu]
            keep = rr != s
            units, rr = units[keep], rr[keep]
            dv = (state.rep_violation(load[s] - values[units], s) - base_s
                  + state.rep_violation(load[rr] + values[units], rr) - state.rep_violation(load[rr], rr))
            dm = moved_delta(units, np.full_like(units, s), rr)
            options.append((dv, cost[units, rr] - cost[units, s], dm, [(units, rr)]))
        if len(there):
            src = a[there]
            dv = (state.rep_violation(load[s] + values[there], s) - base_s
                  + state.rep_violation(load[src] - values[there], src) - state.rep_violation(load[src], src))
            dm = moved_delta(there, src, np.full_like(there, s))
            options.append((dv, cost[there, s] - cost[there, src], dm, [(there, np.full_like(there, s))]))
        if self.swaps and len(here) and len(there):
            src = a[there]
            pi, pj = np.nonzero(cand[here][:, src])
            ui, uj, r2 = here[pi], there[pj], src[pj]
            delta = values[uj] - values[ui]
            dv = (state.rep_violation(load[s] + delta, s) - base_s
                  + state.rep_violation(load[r2] - delta, r2) - state.rep_violation(load[r2], r2))
            dm = moved_delta(ui, np.full_like(ui, s), r2) + moved_delta(uj, r2, np.full_like(uj, s))
            dc = cost[ui, r2] - cost[ui, s] + cost[uj, s] - cost[uj, r2]
            options.append((dv, dc, dm, [(ui, r2), (uj, np.full_like(uj, s))]))
        best_score, best_move = -1e-9, None
        for dv, dc, dm, moves in options:
            dv = dv + state.budget_violation(state.moved + dm) - base_budget
            score = np.where(dv <= 1e-12, dc, np.inf) if penalty is None else dc + penalty * dv
            k = int(np.argmin(score))
            if score[k] < best_score:
                best_score, best_move = score[k], [(int(units[k]), int(to[k])) for units, to in moves]
        return best_move


@dataclass
class Search:
    """Outcome of `improve`: the best assignment, its violation (0 = inside the bands), the LNS effort, and
    whether the plan is proven optimal (one sub-problem held every rep and every allowed pair, small instances)."""

    assignment: NDArray[np.int64]
    violation: float
    travel: float
    subproblems: int = 0
    improvements: int = 0
    proven: bool = False
    trace: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class _Subproblem:
    """One group's CP-SAT model: x[j] says unit units[j] goes to rep reps[j]; `complete` if it is the whole
    travel problem (every rep, every allowed pair), so its optimum is the plan's."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    units: NDArray[np.int64]
    reps: NDArray[np.int64]
    repair: bool
    complete: bool


class NeighbourhoodSearch:
    """Large-neighbourhood search: free every unit of a few reps that share candidate units and re-solve that
    sub-problem exactly with CP-SAT (integer loads, the plan as hint). Outside the bands a sub-problem minimises
    its violation; inside, travel. Two disjoint groups are solved at a time (CP-SAT releases the GIL), each with
    half the spare disruption budget; groups grow from 3 reps to 6 when a full round finds nothing."""

    def __init__(self, inst: Instance, scaled: _Scaled, cand: NDArray[np.bool_], threads: int = 2) -> None:
        self.inst, self.scaled, self.cand, self.threads = inst, scaled, cand, threads
        overlap = cand.T.astype(np.int64) @ cand.astype(np.int64)
        np.fill_diagonal(overlap, 0)
        self.overlap = overlap
        self.cost_quantum = max(float(np.where(cand, inst.cost, 0.0).max()), 1e-9) / 1e6
        self.loads = scaled.values.astype(np.int64)
        self.all_pairs = bool((cand == inst.allowed).all())

    def run(self, assignment: NDArray[np.int64], deadline: float, rng: np.random.Generator,
            started: float) -> Search:
        """Rounds over all reps as seeds; a round without improvement grows the groups, and a whole cycle of
        sizes without improvement (or a proof of optimality) ends the search before the deadline."""
        inst = self.inst
        state = _State(self.scaled, inst.current, assignment)
        reps = self.cand.shape[1]
        outcome = Search(state.a.copy(), state.violation(), inst.travel(state.a))
        smallest, largest = min(reps, 3), min(reps, 6)
        size, improved_cycle = smallest, False
        with ThreadPoolExecutor(self.threads) as pool:
            while time.perf_counter() < deadline and not outcome.proven:
                if self._round(state, size, pool, deadline, rng, outcome, started):
                    improved_cycle = True
                elif size < largest:
                    size += 1
                elif improved_cycle:
                    size, improved_cycle = smallest, False
                else:
                    break
        outcome.assignment, outcome.violation, outcome.travel = state.a, state.violation(), inst.travel(state.a)
        return outcome

    def _round(self, state: _State, size: int, pool: ThreadPoolExecutor, deadline: float,
               rng: np.random.Generator, outcome: Search, started: float) -> bool:
        """Every rep seeds a group once (violated reps first); True if any sub-problem improved the plan."""
        reps = self.cand.shape[1]
        violated = np.flatnonzero(state.rep_violation(state.load, np.arange(reps)) > 0)
        seeds = list(np.r_[rng.permutation(violated), rng.permutation(reps)] if state.violation() > 0
                     else rng.permutation(reps))
        improved = False
        while seeds and time.perf_counter() < deadline and not outcome.proven:
            groups = self._disjoint_groups(seeds, size, rng)
            built = [self._build(state, group, 1.0 / len(groups)) for group in groups]
            limit = max(0.05, min(SUB_LIMIT, deadline - time.perf_counter()))
            solved = pool.map(self._solve, built, [int(rng.integers(2**31 - 1)) for _ in built], [limit] * len(built))
            for sub, (values, optimal) in zip(built, solved, strict=True):
                if sub is None:
                    continue
                outcome.subproblems += 1
                if values is not None and self._apply(state, sub, values):
                    outcome.improvements += 1
                    improved = True
                    outcome.trace.append((time.perf_counter() - started, self.inst.travel(state.a)))
                outcome.proven |= sub.complete and optimal
        return improved

    def _disjoint_groups(self, seeds: list[int], size: int, rng: np.random.Generator) -> list[NDArray[np.int64]]:
        """Up to `threads` groups with no rep in common, grown around the next seeds."""
        groups: list[NDArray[np.int64]] = []
        taken = np.zeros(self.cand.shape[1], dtype=bool)
        while seeds and len(groups) < self.threads:
            seed = seeds.pop(0)
            if taken[seed]:
                continue
            weights = np.where(taken, 0, self.overlap[seed]).astype(float)
            others = np.flatnonzero(weights > 0)
            take = min(size - 1, len(others))
            chosen = rng.choice(others, size=take, replace=False, p=weights[others] / weights[others].sum()) \
                if take else np.array([], dtype=np.int64)
            group = np.r_[seed, chosen].astype(np.int64)
            taken[group] = True
            groups.append(group)
        return groups

    def _build(self, state: _State, group: NDArray[np.int64], budget_share: float) -> _Subproblem | None:
        """The units of `group` with their candidate reps inside it; None if nothing can move."""
        inst, scaled, loads = self.inst, self.scaled, self.loads
        in_group = np.zeros(self.cand.shape[1], dtype=bool)
        in_group[group] = True
        units = np.flatnonzero(in_group[state.a])
        options = self.cand[units] & in_group[None, :]
        free = options.sum(axis=1) > 1
        if free.sum() < 2:
            return None
        pu, pr = np.nonzero(options[free])
        pu = units[free][pu]
        fixed_units = units[~free]
        repair = state.violation() > 0
        model = cp_model.CpModel()
        x = [model.new_bool_var("") for _ in range(len(pu))]
        starts = np.flatnonzero(np.r_[True, pu[1:] != pu[:-1]])
        for lo, hi in zip(starts, np.r_[starts[1:], len(pu)], strict=True):
            model.add_exactly_one(x[lo:hi])
        slack: list[tuple[cp_model.IntVar, int]] = []
        most = int(scaled.values.sum())  # no load or excess can exceed all units together

        def bounded(expr: cp_model.LinearExpr, lo: float, hi: float, weight: int = 1) -> None:
            if repair:  # elastic: how far outside the band (weighted as in `_State`) is what is minimised
                below, above = model.new_int_var(0, most, ""), model.new_int_var(0, most, "")
                model.add(expr + below >= int(lo))
                model.add(expr - above <= int(hi))
                slack.extend(((below, weight), (above, weight)))
            else:
                model.add_linear_constraint(expr, int(lo), int(hi))

        for rep in group:
            fixed = loads[fixed_units[state.a[fixed_units] == rep]].sum(axis=0)
            idx = np.flatnonzero(pr == rep)
            for measure in range(2):
                expr = cp_model.LinearExpr.weighted_sum([x[j] for j in idx], loads[pu[idx], measure].tolist())
                bounded(expr, scaled.lower[rep, measure] - fixed[measure], scaled.upper[rep, measure] - fixed[measure])
        if math.isfinite(scaled.budget):
            # a free unit with an owner counts as moved unless it is assigned home
            free_units = pu[starts]
            owned = free_units[inst.current[free_units] >= 0]
            moved_now = loads[owned[state.a[owned] != inst.current[owned]], 0].sum()
            spare = scaled.budget - state.moved
            home = np.flatnonzero(pr == inst.current[pu])
            expr = int(loads[owned, 0].sum()) - cp_model.LinearExpr.weighted_sum(
                [x[j] for j in home], loads[pu[home], 0].tolist())
            limit = moved_now + (spare * budget_share if spare > 0 else spare)
            bounded(expr, -1, math.floor(limit), BUDGET_WEIGHT)
        if repair:
            model.minimize(cp_model.LinearExpr.weighted_sum([v for v, _ in slack], [w for _, w in slack]))
        else:
            weights = np.rint(inst.cost[pu, pr] / self.cost_quantum).astype(np.int64)
            model.minimize(cp_model.LinearExpr.weighted_sum(x, weights.tolist()))
        for j, unit in enumerate(pu):
            model.add_hint(x[j], bool(state.a[unit] == pr[j]))
        complete = self.all_pairs and not repair and len(group) == self.cand.shape[1]
        return _Subproblem(model, x, pu, pr, repair, complete)

    @staticmethod
    def _solve(sub: _Subproblem | None, seed: int, limit: float) -> tuple[NDArray[np.bool_] | None, bool]:
        """The sub-problem's best plan (None if none found) and whether it is proven optimal."""
        if sub is None:
            return None, False
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_time_in_seconds = limit
        status = solver.solve(sub.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, False
        return np.array([solver.boolean_value(v) for v in sub.x]), status == cp_model.OPTIMAL

    def _apply(self, state: _State, sub: _Subproblem, chosen: NDArray[np.bool_]) -> bool:
        """Take the sub-problem's plan if it lowers the violation or, inside the bands, the travel."""
        inst = self.inst
        new = state.a.copy()
        new[sub.units[chosen]] = sub.reps[chosen]
        changed = np.flatnonzero(new != state.a)
        if len(changed) == 0:
            return False
        trial = _State(self.scaled, inst.current, new)
        better = (trial.violation() < state.violation() - 1e-12 if sub.repair else
                  trial.violation() == 0 and inst.travel(new) < inst.travel(state.a) - 1e-9)
        if better:
            for unit in changed:
                state.shift(int(unit), int(new[unit]))
        return better


def candidate_mask(inst: Instance, distance: NDArray[np.float64], nearest: int,
                   extra: Sequence[NDArray[np.int64]] = ()) -> NDArray[np.bool_]:
    """The pairs the integer search may use: each unit's `nearest` allowed reps, its current rep, any warm start's
    rep, and for each rep the nearest units holding twice a mean load of both measures (so no rep is starved)."""
    n, reps = distance.shape
    far = np.where(inst.allowed, distance, np.inf)
    cand = np.zeros((n, reps), dtype=bool)
    np.put_along_axis(cand, np.argsort(far, axis=1)[:, :nearest], True, axis=1)
    rows = np.arange(n)
    for assignment in (inst.current, *extra):
        ok = assignment >= 0
        cand[rows[ok], assignment[ok]] = True
    order = np.argsort(far, axis=0)
    mean = np.where(inst.mean > 0, inst.mean, 1.0)
    reach = np.cumsum(inst.values[order] / mean, axis=0)  # (n, reps, 2) loads of the nearest units
    depth = np.maximum((reach < 2).sum(axis=0).max(axis=1) + 1, 1)
    for rep in range(reps):
        cand[order[:depth[rep], rep], rep] = True
    return cand & inst.allowed


def improve(inst: Instance, cand: NDArray[np.bool_], starts: list[NDArray[np.int64]], deadline: float,
            seed: int = 0, neighbourhoods: bool = True, threads: int = 2) -> Search:
    """Local search from each start (best kept), then LNS until `deadline` or no group improves. A start's unit
    on a rep outside its candidates (unowned, locked or excluded elsewhere) goes to its cheapest candidate."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    scaled = _Scaled(inst)
    search = LocalSearch(inst, scaled, cand, swaps=neighbourhoods)
    rows = np.arange(len(cand))
    cheapest = np.where(cand, inst.cost, np.inf).argmin(axis=1)
    starts = [np.where((s >= 0) & cand[rows, np.maximum(s, 0)], s, cheapest) for s in starts]
    best: Search | None = None
    for k, start in enumerate(starts):
        budget = (deadline - time.perf_counter()) * (0.3 if neighbourhoods else 1.0) / (len(starts) - k)
        a = search.run(start, time.perf_counter() + budget, rng)
        state = _State(scaled, inst.current, a)
        candidate = Search(a, state.violation(), inst.travel(a))
        if best is None or (candidate.violation, candidate.travel) < (best.violation, best.travel):
            best = candidate
    assert best is not None
    best.trace.append((time.perf_counter() - started, best.travel))
    if not neighbourhoods or time.perf_counter() >= deadline:
        return best
    lns = NeighbourhoodSearch(inst, scaled, cand, threads).run(best.assignment, deadline, rng, started)
    lns.trace = best.trace + lns.trace
    return lns
