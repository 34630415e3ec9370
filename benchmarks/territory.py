"""Territory design benchmark: 1,000 units x 25 reps and 3,000 units x 60 reps on real Indian geography, the
optimiser next to a greedy baseline (nearest rep, then single-unit rebalancing moves), and the optimiser stopped
early (what the LP, rounding and local search reach before LNS has run long). Per instance and method one line
with balance (max deviation from the mean, potential and workload), travel, gap to the LP bound, share of
potential moved and seconds; then all lines as one JSON list.

Instances (deterministic per seed): units scattered around the ~140 cities of `salesops.geography` (more units
in bigger cities, spread growing with city size), potential ~ the city's population share with log-normal
noise, workload ~ potential^0.6 with its own noise (big accounts are cheaper to serve per rupee); reps based
in the larger cities, seats in proportion to potential; the current alignment is nearest rep with 15% of
units on the 2nd or 3rd nearest (imbalanced, as alignments drift); the top 2% of units by potential are
locked to their current owner (key accounts).

Run: `.venv/bin/python -m benchmarks.territory [--sizes 1000x25 3000x60] [--time-limit 60] [--early 10]`.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

from optimization.geo import haversine_km
from optimization.territory import TerritoryPlan, greedy_plan, solve_territories
from salesops.geography import CITIES


def synthetic_instance(n_units: int, n_reps: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """units, reps, current and locked tables for `solve_territories` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    population = np.array([c.population for c in CITIES], dtype=float)
    lat = np.array([c.lat for c in CITIES])
    lon = np.array([c.lon for c in CITIES])
    weight = np.sqrt(population)
    city = rng.choice(len(CITIES), n_units, p=weight / weight.sum())
    per_city = np.bincount(city, minlength=len(CITIES))
    spread_km = 5 + 30 * np.sqrt(population / population.max())
    unit_lat = lat[city] + rng.normal(0, spread_km[city] / 111)
    unit_lon = lon[city] + rng.normal(0, spread_km[city] / 111) / np.cos(np.radians(lat[city]))
    potential = population[city] / per_city[city] * rng.lognormal(0, 0.5, n_units)
    potential *= 1000 / potential.mean()
    workload = potential**0.6 * rng.lognormal(0, 0.35, n_units)
    workload *= 40 / workload.mean()
    units = pd.DataFrame({"unit_id": [f"U{i:05d}" for i in range(n_units)], "lat": unit_lat.round(4),
                          "lon": unit_lon.round(4), "potential": potential.round(1), "workload": workload.round(2)})
    share = np.bincount(city, weights=potential, minlength=len(CITIES)) / potential.sum() * n_reps
    seats = np.floor(share).astype(int)
    seats[np.argsort(-(share - seats))[:n_reps - seats.sum()]] += 1  # largest remainders
    base = np.repeat(np.arange(len(CITIES)), seats)
    second = np.r_[False, base[1:] == base[:-1]]  # second and later reps of a city sit a few km apart
    reps = pd.DataFrame({"rep_id": [f"R{i:03d}" for i in range(n_reps)],
                         "lat": (lat[base] + second * rng.normal(0, 0.05, n_reps)).round(4),
                         "lon": (lon[base] + second * rng.normal(0, 0.05, n_reps)).round(4)})
    order = np.argsort(haversine_km(unit_lat, unit_lon, reps["lat"], reps["lon"]), axis=1)
    rank = np.where(rng.random(n_units) < 0.15, rng.integers(1, 3, n_units), 0)
    current = pd.DataFrame({"unit_id": units["unit_id"], "rep_id": reps["rep_id"].to_numpy()[
        order[np.arange(n_units), rank]]})
    key_accounts = np.sort(np.argsort(-potential)[:max(1, n_units // 50)])
    return {"units": units, "reps": reps, "current": current,
            "locked": current.iloc[key_accounts].reset_index(drop=True)}


def summary(name: str, method: str, plan: TerritoryPlan) -> dict:
    report = plan.report
    return {"instance": name, "method": method, "status": report["status"],
            "dev_potential": report["balance"]["potential"]["max_deviation"],
            "dev_workload": report["balance"]["workload"]["max_deviation"],
            "travel": report["objective"], "bound": report["bound"], "gap": report["gap"],
            "moved": report["disruption"]["share_of_potential_moved"], "seconds": report["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1000x25", "3000x60"], help="UNITSxREPS")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--early", type=float, default=10.0, help="seconds of the early-stopped run (0 = skip)")
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        n_units, n_reps = (int(v) for v in size.lower().split("x"))
        tables = synthetic_instance(n_units, n_reps, args.seed)
        runs = [("greedy", greedy_plan, args.time_limit), (f"opt@{args.early:g}s", solve_territories, args.early),
                ("optimiser", solve_territories, args.time_limit)]
        for method, solve, limit in runs:
            if limit <= 0:
                continue
            plan = solve(tables["units"], tables["reps"], tables["current"], tables["locked"],
                         balance_tolerance=args.tolerance, time_limit=limit, seed=args.seed)
            row = summary(size, method, plan)
            results.append(row)
            gap = "n/a" if row["gap"] is None else f"{row['gap']:.2%}"
            print(f"{size:>8} {method:<9} {row['status']:<16} dev potential {row['dev_potential']:7.2%} "
                  f"workload {row['dev_workload']:7.2%}  travel {row['travel']:14,.0f}  gap {gap:>6}  "
                  f"moved {row['moved']:6.1%}  {row['seconds']:6.1f} s", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
