"""Territory design and quota allocation: brute-force optima on tiny instances, constraints honoured on a
synthetic Indian instance, infeasibility and bad input reported clearly, the CLI round trip (in-process and
through the installed entry point), the trade-off curve's monotonicity and the quota LP. No warehouse needed."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.territory import synthetic_instance
from optimization.geo import haversine_km
from optimization.quota import InfeasibleQuota, allocate_quotas
from optimization.territory import InfeasiblePlan, solve_territories
from salesops.cli import main
from salesops.geography import distance_km
from salesops.settings import PROJECT_ROOT


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def _tiny(n_units: int, n_reps: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n_units)],
                          "lat": rng.uniform(18, 22, n_units), "lon": rng.uniform(72, 78, n_units),
                          "potential": rng.uniform(50, 150, n_units), "workload": rng.uniform(5, 15, n_units)})
    reps = pd.DataFrame({"rep_id": [f"r{k}" for k in range(n_reps)],
                         "lat": rng.uniform(18, 22, n_reps), "lon": rng.uniform(72, 78, n_reps)})
    return units, reps


def _brute_force(units: pd.DataFrame, reps: pd.DataFrame, tol: float, current: dict[str, str] | None = None,
                 locked: dict[str, str] | None = None, excluded: set[tuple[str, str]] = frozenset(),
                 cap: float | None = None, capacity: dict[str, float] | None = None) -> float:
    """Least travel over every assignment meeting all constraints (inf if none)."""
    cost = units["workload"].to_numpy()[:, None] * haversine_km(units.lat, units.lon, reps.lat, reps.lon)
    values = units[["potential", "workload"]].to_numpy()
    mean = values.sum(axis=0) / len(reps)
    unit_ids, rep_ids = list(units.unit_id), list(reps.rep_id)
    best = np.inf
    for plan in itertools.product(range(len(reps)), repeat=len(units)):
        owners = [rep_ids[r] for r in plan]
        if any(locked and u in locked and locked[u] != o for u, o in zip(unit_ids, owners, strict=True)):
            continue
        if any((u, o) in excluded for u, o in zip(unit_ids, owners, strict=True)):
            continue
        load = np.zeros((len(reps), 2))
        np.add.at(load, list(plan), values)
        if (np.abs(load / mean - 1) > tol).any():
            continue
        if capacity and any(load[rep_ids.index(r), 1] > c for r, c in capacity.items()):
            continue
        if cap is not None and current:
            moved = sum(values[i, 0] for i, u in enumerate(unit_ids) if u in current and current[u] != owners[i])
            if moved > cap * values[:, 0].sum():
                continue
        best = min(best, cost[np.arange(len(units)), list(plan)].sum())
    return best


def test_haversine_matches_the_scalar_distance() -> None:
    matrix = haversine_km([19.076, 28.7041], [72.8777, 77.1025], [12.9716], [77.5946])
    assert matrix.shape == (2, 1)
    assert matrix[0, 0] == pytest.approx(distance_km(19.076, 72.8777, 12.9716, 77.5946), rel=1e-12)
    assert matrix[1, 0] == pytest.approx(distance_km(28.7041, 77.1025, 12.9716, 77.5946), rel=1e-12)


def test_tiny_instance_matches_brute_force() -> None:
    units, reps = _tiny(6, 2, seed=3)
    expected = _brute_force(units, reps, 0.2)
    assert np.isfinite(expected)
    plan = solve_territories(units, reps, balance_tolerance=0.2, time_limit=10)
    assert plan.report["objective"] == pytest.approx(expected, rel=1e-6)
    assert plan.report["status"] == "optimal" and plan.report["gap"] == 0
    assert plan.report["lp_bound"] <= plan.report["objective"] + 1e-6


def test_tiny_instance_with_every_constraint_matches_brute_force() -> None:
    units, reps = _tiny(8, 3, seed=11)
    reps["capacity"] = [40.0, None, None]
    current = dict(zip(units.unit_id, ["r0", "r0", "r0", "r1", "r1", "r1", "r2", "r2"], strict=True))
    locked = {"u0": "r0", "u3": "r2"}
    excluded = {("u1", "r2"), ("u5", "r0"), ("u7", "r1")}
    kwargs = {"tol": 0.25, "current": current, "locked": locked, "excluded": excluded, "cap": 0.5,
              "capacity": {"r0": 40.0}}
    expected = _brute_force(units, reps, **kwargs)
    assert np.isfinite(expected)
    plan = solve_territories(
        units, reps, pd.DataFrame(current.items(), columns=["unit_id", "rep_id"]),
        pd.DataFrame(locked.items(), columns=["unit_id", "rep_id"]),
        pd.DataFrame(sorted(excluded), columns=["unit_id", "rep_id"]),
        balance_tolerance=0.25, max_disruption=0.5, time_limit=10)
    assert plan.report["objective"] == pytest.approx(expected, rel=1e-6)
    assert plan.report["status"] == "optimal"


@pytest.fixture(scope="module")
def medium() -> dict[str, pd.DataFrame]:
    return synthetic_instance(240, 8, seed=1)


def test_locks_exclusions_and_disruption_cap_are_honoured(medium: dict[str, pd.DataFrame]) -> None:
    units, reps, current, locked = medium["units"], medium["reps"], medium["current"], medium["locked"]
    # forbid each unit's nearest rep for a tenth of the units (not the locked ones)
    nearest = reps.rep_id.to_numpy()[haversine_km(units.lat, units.lon, reps.lat, reps.lon).argmin(axis=1)]
    free = ~units.unit_id.isin(locked.unit_id).to_numpy()
    pick = np.flatnonzero(free)[::10]
    exclusions = pd.DataFrame({"unit_id": units.unit_id.to_numpy()[pick], "rep_id": nearest[pick]})
    plan = solve_territories(units, reps, current, locked, exclusions, balance_tolerance=0.05, max_disruption=0.45,
                             time_limit=8)
    out = plan.assignments.set_index("unit_id")["rep_id"]
    assert set(out.index) == set(units.unit_id)
    assert (out.loc[locked.unit_id].to_numpy() == locked.rep_id.to_numpy()).all()
    assert not (out.loc[exclusions.unit_id].to_numpy() == exclusions.rep_id.to_numpy()).any()
    owner = current.set_index("unit_id")["rep_id"]
    potential = units.set_index("unit_id")["potential"]
    moved = potential[out != owner.loc[out.index]].sum() / potential.sum()
    assert moved <= 0.45 + 1e-9
    assert plan.report["disruption"]["share_of_potential_moved"] == pytest.approx(moved, abs=1e-6)
    for measure in ("potential", "workload"):
        load = units.set_index("unit_id")[measure].groupby(out).sum().reindex(reps.rep_id, fill_value=0)
        assert (load / load.mean() - 1).abs().max() <= 0.05 + 1e-9
        assert plan.report["balance"][measure]["max_deviation"] <= 0.05
    assert plan.report["status"] in ("optimal", "feasible")
    assert 0 <= plan.report["gap"] < 0.05 and plan.report["bound"] <= plan.report["objective"]


def test_infeasible_settings_name_the_binding_constraint(medium: dict[str, pd.DataFrame]) -> None:
    units, reps, current = medium["units"], medium["reps"], medium["current"]
    with pytest.raises(InfeasiblePlan, match=r"balance tolerance 0\.1% on potential is infeasible: unit \S+ alone"):
        solve_territories(units.assign(potential=np.r_[units.potential[:-1], units.potential.sum() / 6]), reps,
                          balance_tolerance=0.001, time_limit=5)
    with pytest.raises(InfeasiblePlan, match=r"disruption cap 2\.0% is infeasible .* needs at least \d"):
        solve_territories(units, reps, current, balance_tolerance=0.05, max_disruption=0.02, time_limit=5)
    with pytest.raises(InfeasiblePlan, match=r"capacity of rep R000 .* balance on workload conflict"):
        solve_territories(units, reps.assign(capacity=[1.0] + [None] * (len(reps) - 1)), balance_tolerance=0.05,
                          time_limit=5)


def _write(tmp_path: Path, **tables: pd.DataFrame) -> dict[str, str]:
    paths = {}
    for name, table in tables.items():
        paths[name] = str(tmp_path / f"{name}.csv")
        table.to_csv(paths[name], index=False)
    return paths


def test_cli_solve_round_trip(tmp_path: Path, medium: dict[str, pd.DataFrame]) -> None:
    paths = _write(tmp_path, **medium)
    out = tmp_path / "plan.csv"
    code, stdout = _run("territory", "solve", "--units", paths["units"], "--reps", paths["reps"], "--current",
                        paths["current"], "--locked", paths["locked"], "--balance-tolerance", "0.05",
                        "--max-disruption", "0.5", "--time-limit", "5", "--out", str(out))
    assert code == 0
    plan = pd.read_csv(out, dtype=str)
    assert list(plan.columns) == ["unit_id", "rep_id"]
    assert sorted(plan.unit_id) == sorted(medium["units"].unit_id) and plan.rep_id.isin(medium["reps"].rep_id).all()
    report = json.loads(stdout)
    for key in ("status", "objective", "bound", "gap", "balance", "disruption", "seconds"):
        assert key in report
    for measure in ("potential", "workload"):
        assert set(report["balance"][measure]) == {"min", "max", "mean", "max_deviation"}
    assert {"share_of_potential_moved", "units_moved"} <= set(report["disruption"])


def test_cli_reports_infeasible_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units, reps = _tiny(6, 2, seed=3)
    paths = _write(tmp_path, units=units, reps=reps)
    code, _ = _run("territory", "solve", "--units", paths["units"], "--reps", paths["reps"], "--balance-tolerance",
                   "0.001", "--time-limit", "5", "--out", str(tmp_path / "plan.csv"))
    assert code == 2
    assert "infeasible: balance tolerance 0.1% on" in capsys.readouterr().err
    assert not (tmp_path / "plan.csv").exists()


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t["units"].drop(columns="workload"), "units: missing column(s) workload"),
    (lambda t: pd.concat([t["units"], t["units"].iloc[:1]]), "units: duplicate unit_id u0"),
    (lambda t: t["units"].assign(potential=-t["units"].potential), "units: potential must not be negative"),
    (lambda t: t["current"].assign(rep_id="nobody"), "current: unknown rep nobody"),
])
def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], change, message: str) -> None:
    units, reps = _tiny(6, 2, seed=3)
    tables = {"units": units, "reps": reps, "current": pd.DataFrame({"unit_id": units.unit_id, "rep_id": "r0"})}
    name = message.split(":")[0]
    tables[name] = change(tables)
    paths = _write(tmp_path, **tables)
    code, _ = _run("territory", "solve", "--units", paths["units"], "--reps", paths["reps"], "--current",
                   paths["current"], "--out", str(tmp_path / "plan.csv"))
    assert code == 1
    assert message in capsys.readouterr().err


def test_entry_point_solves(tmp_path: Path) -> None:
    units, reps = _tiny(6, 2, seed=3)
    paths = _write(tmp_path, units=units, reps=reps)
    salesops = Path(sys.executable).with_name("salesops")
    run = subprocess.run([str(salesops), "territory", "solve", "--units", paths["units"], "--reps", paths["reps"],
                          "--balance-tolerance", "0.2", "--time-limit", "10", "--out", str(tmp_path / "plan.csv")],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "optimal"
    assert len(pd.read_csv(tmp_path / "plan.csv")) == 6


def test_tradeoff_curve_is_monotone(tmp_path: Path) -> None:
    tables = synthetic_instance(150, 6, seed=2)
    paths = _write(tmp_path, **tables)
    code, stdout = _run("territory", "tradeoff", "--units", paths["units"], "--reps", paths["reps"], "--current",
                        paths["current"], "--locked", paths["locked"], "--caps", "0,0.1,0.2,0.4,1",
                        "--balance-tolerance", "0.05", "--time-limit", "3", "--json")
    assert code == 0
    curve = pd.DataFrame(json.loads(stdout))
    assert list(curve.cap) == [0, 0.1, 0.2, 0.4, 1]
    assert (curve.share_moved <= curve.cap + 1e-9).all()
    assert curve.share_moved[0] == 0 and curve.status[0] == "out_of_tolerance"
    excess = np.maximum(curve.max_deviation, 0.05)
    assert (curve.lp_min_deviation <= excess + 1e-9).all()  # a lower bound, floored at the tolerance
    assert (np.diff(excess) <= 1e-9).all()
    within = curve[curve.status != "out_of_tolerance"]
    assert len(within) >= 2 and (np.diff(within.travel) <= 1e-6).all()
    assert curve.status.iloc[-1] in ("optimal", "feasible")


def _quota_reps(n: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    potential = rng.uniform(50, 150, n)
    mean = potential * rng.uniform(0.9, 1.1, n)
    return pd.DataFrame({"rep_id": [f"R{i}" for i in range(n)], "potential": potential, "forecast_mean": mean,
                         "forecast_sd": 0.2 * mean, "history": mean * rng.uniform(0.8, 1.0, n)})


@pytest.mark.parametrize("objective", ["max_min_attainment", "proportional"])
def test_quota_lp(objective: str) -> None:
    reps = _quota_reps()
    target = 0.95 * reps.forecast_mean.sum()
    plan = allocate_quotas(reps, target, band=0.15, max_quantile=0.5, objective=objective, history_weight=0.3)
    quotas = plan.quotas
    assert quotas.quota.sum() == pytest.approx(target, rel=1e-6)
    ratio = (quotas.quota / quotas.potential) / (target / reps.potential.sum())
    assert ratio.between(0.85 - 1e-6, 1.15 + 1e-6).all()
    assert (quotas.quota <= reps.forecast_mean + 1e-6).all()  # the 50% quantile of a normal is its mean
    assert (quotas.attainment_probability >= 0.5 - 1e-4).all()
    report = plan.report
    assert report["sum_of_quotas_over_target"] == pytest.approx(1.0)
    assert report["expected_share_at_or_above_quota"] == pytest.approx(quotas.attainment_probability.mean(), abs=1e-4)
    assert {"min_attainment_probability", "ratio_vs_company", "abs_deviation_from_reference"} <= set(report)
    if objective == "max_min_attainment":  # sd proportional to mean here, so the best worst case is shared by all
        assert quotas.attainment_probability.max() - quotas.attainment_probability.min() < 1e-3


def test_quota_lp_names_what_binds() -> None:
    reps = _quota_reps()
    with pytest.raises(InfeasibleQuota, match="above its achievable quota"):
        allocate_quotas(reps, 1.3 * reps.forecast_mean.sum())
    with pytest.raises(InfeasibleQuota, match="exceeds the most the reps can carry"):
        allocate_quotas(reps, 1.05 * reps.forecast_mean.sum(), band=0.5)
