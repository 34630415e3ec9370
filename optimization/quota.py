"""Quota allocation: split a company target into rep (or territory) quotas by linear programming (GLOP).

Constraints: quotas sum to the target; fairness, each quota / potential within +-band of the company ratio
(target / total potential); achievability, each quota at most the `max_quantile` quantile of the rep's forecast
bookings (normal with the given mean and sd), i.e. P(bookings >= quota) >= 1 - max_quantile.

Objective "max_min_attainment" (default): maximise the smallest probability of attainment. P = Phi((mu - q) / sd)
is increasing in the standardised margin (mu - q) / sd, so max-min P is the LP max t s.t. q + sd * t <= mu;
ties are then broken by the least absolute deviation from the reference split. Objective "proportional":
least absolute deviation from the reference split only. The reference split is the target in proportion to
potential, or to a blend with `history` (e.g. last year's bookings) when history_weight > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp
from scipy.stats import norm

OBJECTIVES = ("max_min_attainment", "proportional")


class InfeasibleQuota(ValueError):
    """Fairness band and achievability caps cannot add up to the target; the message says which binds."""


@dataclass
class QuotaPlan:
    """`quotas`: rep_id, potential, quota, reference, ratio_vs_company, attainment_probability; `report` is
    JSON-serialisable (expected share of reps at or above quota, sum of quotas / target, ...)."""

    quotas: pd.DataFrame
    report: dict[str, Any]


def allocate_quotas(reps: pd.DataFrame, target: float, *, band: float = 0.15, max_quantile: float = 0.5,
                    objective: str = "max_min_attainment", history_weight: float = 0.0) -> QuotaPlan:
    """reps: rep_id, potential, forecast_mean, forecast_sd [, history]; target: the company number."""
    potential, mu, sd, reference = _inputs(reps, target, band, max_quantile, objective, history_weight)
    ratio = target / potential.sum()
    lower = (1 - band) * ratio * potential
    cap = mu + sd * norm.ppf(max_quantile)
    upper = np.minimum((1 + band) * ratio * potential, cap)
    _check(reps["rep_id"], target, lower, upper, cap, band, max_quantile)

    solver = pywraplp.Solver.CreateSolver("GLOP")
    q = [solver.NumVar(float(lo), float(hi), "") for lo, hi in zip(lower, upper, strict=True)]
    solver.Add(solver.Sum(q) == target)
    margin = None
    if objective == "max_min_attainment":
        t = solver.NumVar(-solver.infinity(), solver.infinity(), "t")
        for qi, mi, si in zip(q, mu, sd, strict=True):
            solver.Add(qi + float(si) * t <= float(mi))
        solver.Maximize(t)
        _solve(solver)
        margin = t.solution_value()
        t.SetLb(margin - 1e-7 * max(1.0, abs(margin)))  # keep the best worst case, then stay close to the reference
    deviation = [solver.NumVar(0, solver.infinity(), "") for _ in q]
    for qi, di, ri in zip(q, deviation, reference, strict=True):
        solver.Add(di >= qi - float(ri))
        solver.Add(di >= float(ri) - qi)
    solver.Minimize(solver.Sum(deviation))
    _solve(solver)

    quota = np.array([qi.solution_value() for qi in q])
    attainment = norm.sf((quota - mu) / sd)
    relative = np.divide(quota / ratio, potential, out=np.ones_like(quota), where=potential > 0)
    table = pd.DataFrame({"rep_id": reps["rep_id"].to_numpy(), "potential": potential, "quota": quota,
                          "reference": reference, "ratio_vs_company": relative, "attainment_probability": attainment})
    report = {
        "objective": objective,
        "target": float(target),
        "sum_of_quotas_over_target": round(float(quota.sum() / target), 9),
        "expected_share_at_or_above_quota": round(float(attainment.mean()), 4),
        "min_attainment_probability": round(float(attainment.min()), 4),
        "max_attainment_probability": round(float(attainment.max()), 4),
        "worst_standardised_margin": None if margin is None else round(margin, 4),
        "ratio_vs_company": {"min": round(float(relative[potential > 0].min()), 4),
                             "max": round(float(relative[potential > 0].max()), 4), "band": band},
        "max_quantile": max_quantile,
        "abs_deviation_from_reference": round(float(np.abs(quota - reference).sum()), 2),
        "reps": len(quota),
    }
    return QuotaPlan(table, report)


def _inputs(reps: pd.DataFrame, target: float, band: float, max_quantile: float, objective: str,
            history_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated arrays: potential, forecast mean and sd, and the reference split."""
    missing = [c for c in ("rep_id", "potential", "forecast_mean", "forecast_sd") if c not in reps.columns]
    if missing:
        raise ValueError(f"reps: missing column(s) {', '.join(missing)}")
    if reps.empty or reps["rep_id"].duplicated().any():
        raise ValueError("reps: needs at least one row and unique rep_id")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
    if not (target > 0 and 0 <= band < 1 and 0 < max_quantile < 1 and 0 <= history_weight <= 1):
        raise ValueError("need target > 0, 0 <= band < 1, 0 < max_quantile < 1, 0 <= history_weight <= 1")
    columns = ["potential", "forecast_mean", "forecast_sd"] + (["history"] if history_weight > 0 else [])
    if history_weight > 0 and "history" not in reps.columns:
        raise ValueError("reps: history_weight > 0 needs a history column")
    data = reps[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(data).all():
        raise ValueError(f"reps: {', '.join(columns)} must be finite numbers")
    potential, mu, sd = data[:, 0], data[:, 1], data[:, 2]
    if (potential < 0).any() or potential.sum() <= 0:
        raise ValueError("reps: potential must be >= 0 with a positive total")
    if (sd <= 0).any():
        raise ValueError("reps: forecast_sd must be positive")
    share = potential / potential.sum()
    if history_weight > 0:
        history = data[:, 3]
        if (history < 0).any() or history.sum() <= 0:
            raise ValueError("reps: history must be >= 0 with a positive total")
        share = (1 - history_weight) * share + history_weight * history / history.sum()
    return potential, mu, sd, target * share


def _check(rep_ids: pd.Series, target: float, lower: np.ndarray, upper: np.ndarray, cap: np.ndarray, band: float,
           max_quantile: float) -> None:
    """Name the binding family before the LP would just say infeasible."""
    clash = np.flatnonzero(lower > upper + 1e-9)
    if len(clash):
        i = clash[0]
        raise InfeasibleQuota(
            f"rep {rep_ids.iloc[i]}: the fairness floor {lower[i]:,.2f} (company ratio - {band:.0%}) is above its "
            f"achievable quota {cap[i]:,.2f} (the {max_quantile:.0%} quantile of its forecast)")
    if upper.sum() < target - 1e-9 * target:
        raise InfeasibleQuota(
            f"target {target:,.2f} exceeds the most the reps can carry, {upper.sum():,.2f}: each quota is capped by "
            f"the fairness band (+{band:.0%}) and by the {max_quantile:.0%} quantile of the rep's forecast; lower "
            f"the target or raise max_quantile or the band")


def _solve(solver: pywraplp.Solver) -> None:
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        raise InfeasibleQuota(f"quota LP ended with status {status}")
