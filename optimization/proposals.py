"""Territory plans in the warehouse: the demo organisation's units and reps read from the marts, versioned
proposals written to `ops`, and approved plans applied with an effective date.

Units are the current accounts (`marts.dim_account`): coordinates from their city, potential
sqrt(annual revenue) (addressable spend grows slower than revenue, so one conglomerate does not outweigh a
territory), workload the activities logged against the account over the last 365 days with a floor of one a
month. Reps are the current account owners, based in the city holding most of their accounts. Key accounts
(the top `KEY_ACCOUNT_SHARE` by bookings over the last year) stay locked with their owner.

`ops.territory_alignment` holds who owns each account from which date; `marts.dim_account` (via dbt) and lead
routing read it, so an applied plan takes effect from its effective date and never rewrites history.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg

from salesops.ops_schema import migrate_ops

KEY_ACCOUNT_SHARE = 0.02
PLAN_ID_PLACEHOLDER = "(plan id pending)"

UNITS_SQL = """
with activity as (
    select account_id, count(*) as activities
    from marts.fct_activities
    where activity_date >= (select as_of_date from marts.int_kpi__as_of) - 365 and account_id is not null
    group by account_id
)
select accounts.account_id as unit_id, accounts.latitude::float8 as lat, accounts.longitude::float8 as lon,
       sqrt(greatest(accounts.annual_revenue, 0))::float8 as potential,
       greatest(coalesce(activity.activities, 0), 12)::float8 as workload,
       accounts.owner_rep_id as current_rep_id, accounts.city
from marts.dim_account as accounts
left join activity using (account_id)
where accounts.is_current and accounts.latitude is not null and accounts.owner_rep_id is not null
order by accounts.account_id
"""

KEY_ACCOUNTS_SQL = """
select account_id from marts.fct_deals
where is_won and closed_at >= (select as_of_date from marts.int_kpi__as_of) - 365 and account_id is not null
group by account_id order by sum(amount) desc limit %(limit)s
"""


@dataclass(frozen=True)
class TerritoryInputs:
    """What the solver needs, as the CLI's tables: units, reps, the current alignment and the locks."""

    units: pd.DataFrame  # unit_id, lat, lon, potential, workload
    reps: pd.DataFrame  # rep_id, lat, lon
    current: pd.DataFrame  # unit_id, rep_id
    locked: pd.DataFrame  # unit_id, rep_id


def territory_inputs(conn: psycopg.Connection, locked_accounts: list[str] | None = None) -> TerritoryInputs:
    """Units, reps, the current alignment (the effective owner per `current_alignment`) and the locks."""
    rows = conn.execute(UNITS_SQL)
    frame = pd.DataFrame(rows.fetchall(), columns=[c.name for c in rows.description])
    owners = current_alignment(conn)
    frame["current_rep_id"] = [owners.get(unit, crm_owner) for unit, crm_owner
                               in zip(frame["unit_id"], frame["current_rep_id"], strict=True)]
    bases = (frame.groupby(["current_rep_id", "city"]).agg(accounts=("unit_id", "size"), lat=("lat", "mean"),
                                                           lon=("lon", "mean"))
             .reset_index().sort_values(["current_rep_id", "accounts", "city"], ascending=[True, False, True])
             .drop_duplicates("current_rep_id"))
    reps = bases.rename(columns={"current_rep_id": "rep_id"})[["rep_id", "lat", "lon"]].reset_index(drop=True)
    current = frame.rename(columns={"current_rep_id": "rep_id"})[["unit_id", "rep_id"]]
    key_accounts = [row[0] for row in conn.execute(
        KEY_ACCOUNTS_SQL, {"limit": max(1, round(KEY_ACCOUNT_SHARE * len(frame)))}).fetchall()]
    locked_ids = set(key_accounts) | set(locked_accounts or [])
    unknown = sorted(locked_ids - set(frame["unit_id"]))
    if unknown:
        raise ValueError(f"locked account(s) not found among current accounts: {', '.join(unknown[:10])}")
    return TerritoryInputs(units=frame[["unit_id", "lat", "lon", "potential", "workload"]], reps=reps,
                           current=current, locked=current[current["unit_id"].isin(locked_ids)])


def current_alignment(conn: psycopg.Connection, on: datetime.date | None = None) -> dict[str, str]:
    """Owner per account from applied plans effective on `on` (default: today); accounts no plan touched are
    absent (their CRM owner stands)."""
    migrate_ops(conn)
    rows = conn.execute("""
        select unit_id, rep_id from ops.territory_alignment
        where valid_from <= %(on)s and (valid_to is null or valid_to > %(on)s)""",
                        {"on": on or datetime.date.today()}).fetchall()
    return dict(rows)


def write_proposal(conn: psycopg.Connection, inputs: TerritoryInputs, plan: Any, parameters: dict[str, Any],
                   before: dict[str, Any], report_md: str, run_id: str | None,
                   quotas: pd.DataFrame | None = None, quota_summary: dict[str, Any] | None = None) -> str:
    """Store a proposal (status `proposed`) with every unit's new and previous owner; returns its plan_id
    (`TP-<version>`, versions counting up)."""
    migrate_ops(conn)
    assignments = (plan.assignments.merge(inputs.current.rename(columns={"rep_id": "previous_rep_id"}),
                                          on="unit_id", how="left")
                   .merge(inputs.units[["unit_id", "potential", "workload"]], on="unit_id"))
    locked = set(inputs.locked["unit_id"])
    with conn.transaction():
        conn.execute("lock table ops.territory_plans in share row exclusive mode")  # serial plan versions
        version = conn.execute("select coalesce(max(plan_version), 0) + 1 from ops.territory_plans").fetchone()[0]
        plan_id = f"TP-{version:04d}"
        conn.execute("""
            insert into ops.territory_plans (plan_id, plan_version, parameters, before_metrics, after_metrics, solver,
                                             quota_summary, report_md, dagster_run_id)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                     (plan_id, version, json.dumps(parameters), json.dumps(before), json.dumps(plan.report),
                      json.dumps({k: plan.report.get(k) for k in ("status", "objective", "bound", "gap", "seconds")}),
                      json.dumps(quota_summary) if quota_summary else None,
                      report_md.replace(PLAN_ID_PLACEHOLDER, plan_id), run_id))
        with conn.cursor() as cur:
            cur.executemany("""
                insert into ops.territory_plan_assignments (plan_id, unit_id, rep_id, previous_rep_id, potential,
                                                            workload, moved, locked)
                values (%s, %s, %s, %s, %s, %s, %s, %s)""",
                            [(plan_id, row.unit_id, row.rep_id, row.previous_rep_id, float(row.potential),
                              float(row.workload), row.rep_id != row.previous_rep_id, row.unit_id in locked)
                             for row in assignments.itertuples(index=False)])
            if quotas is not None:
                cur.executemany("""
                    insert into ops.territory_plan_quotas (plan_id, rep_id, potential, quota, attainment_probability)
                    values (%s, %s, %s, %s, %s)""",
                                [(plan_id, row.rep_id, float(row.potential), float(row.quota),
                                  None if pd.isna(row.attainment_probability) else float(row.attainment_probability))
                                 for row in quotas.itertuples(index=False)])
    return plan_id


def apply_plan(conn: psycopg.Connection, plan_id: str, effective_date: datetime.date) -> dict[str, int]:
    """Make an approved proposal the alignment from `effective_date`: owners that change get a new
    effective-dated row (the open one is closed the day before), earlier history stays. One transaction;
    applying the same plan again changes nothing."""
    migrate_ops(conn)
    with conn.transaction():
        status = conn.execute("select status from ops.territory_plans where plan_id = %s for update",
                              (plan_id,)).fetchone()
        if status is None:
            raise ValueError(f"no territory plan {plan_id!r}")
        if status[0] == "applied":
            return {"changed": 0}
        latest = conn.execute("select max(valid_from) from ops.territory_alignment").fetchone()[0]
        if latest is not None and effective_date < latest:
            raise ValueError(f"plans apply forward in time: {plan_id} would take effect on {effective_date}, "
                             f"before the alignment already effective from {latest}")
        changed = conn.execute("""
            with proposed as (
                select assignments.unit_id, assignments.rep_id from ops.territory_plan_assignments as assignments
                where assignments.plan_id = %(plan)s
            ),
            effective as (
                select proposed.unit_id, proposed.rep_id,
                       coalesce(open_rows.rep_id, accounts.owner_rep_id) as owner_before
                from proposed
                left join ops.territory_alignment as open_rows
                    on open_rows.unit_id = proposed.unit_id and open_rows.valid_to is null
                left join marts.dim_account as accounts
                    on accounts.account_id = proposed.unit_id and accounts.is_current
            ),
            closed as (
                update ops.territory_alignment as open_rows set valid_to = %(day)s
                from effective
                where open_rows.unit_id = effective.unit_id and open_rows.valid_to is null
                    and effective.rep_id is distinct from effective.owner_before
                returning open_rows.unit_id
            )
            insert into ops.territory_alignment (unit_id, rep_id, valid_from, plan_id)
            select unit_id, rep_id, %(day)s, %(plan)s from effective
            where rep_id is distinct from owner_before""", {"plan": plan_id, "day": effective_date}).rowcount
        conn.execute("update ops.territory_plans set status = 'superseded' where status = 'applied'")
        conn.execute("""update ops.territory_plans set status = 'applied', effective_date = %s, applied_at = now()
                        where plan_id = %s""", (effective_date, plan_id))
    return {"changed": changed}


@dataclass(frozen=True)
class Proposal:
    plan_id: str
    report_md: str
    headline: dict[str, Any]


def alignment_metrics(inputs: TerritoryInputs, assignment: pd.DataFrame) -> dict[str, Any]:
    """Balance (each rep's potential and workload against the mean) and workload-weighted travel (km from the
    rep's base) of any alignment, so the current one and a proposal are measured the same way."""
    import numpy as np

    from optimization.geo import haversine_km

    units = inputs.units
    owner = assignment.set_index("unit_id")["rep_id"].reindex(units["unit_id"])
    rep_index = pd.Index(inputs.reps["rep_id"]).get_indexer(owner)
    distance = haversine_km(units["lat"], units["lon"], inputs.reps["lat"], inputs.reps["lon"])
    travel = float((units["workload"].to_numpy() * distance[np.arange(len(units)), rep_index]).sum())
    per_rep = units.assign(rep_id=owner.to_numpy()).groupby("rep_id")[["potential", "workload"]].sum().reindex(
        inputs.reps["rep_id"], fill_value=0)
    balance = {}
    for measure in ("potential", "workload"):
        relative = per_rep[measure] / per_rep[measure].mean()
        balance[measure] = {"min": round(float(relative.min()), 4), "max": round(float(relative.max()), 4),
                            "max_deviation": round(float((relative - 1).abs().max()), 4)}
    return {"balance": balance, "travel": round(travel, 1)}


def quota_inputs(conn: psycopg.Connection, per_rep_potential: pd.Series, settings: dict[str, Any]) -> tuple[
        pd.DataFrame, float, str]:
    """Rep rows for `allocate_quotas` and the company target for the next four quarters: the target from the
    settings, else the revenue forecast (reconciled, rep means and 80% intervals scaled to each rep's new
    potential), else last year's bookings x (1 + growth) split by potential."""
    forecast = conn.execute("""
        select node_id, sum(yhat), sqrt(sum(power((yhat_upper_80 - yhat_lower_80) / 2 / 1.2816, 2)))
        from ml.revenue_forecast
        where as_of_date = (select max(as_of_date) from ml.revenue_forecast) and kind = 'reconciled'
            and level = 'rep' and period_grain = 'month'
            and period_start < (select min(period_start) from ml.revenue_forecast
                                where kind = 'reconciled' and period_grain = 'month') + interval '12 months'
        group by node_id""").fetchall() if conn.execute(
        "select to_regclass('ml.revenue_forecast') is not null").fetchone()[0] else []
    share = per_rep_potential / per_rep_potential.sum()
    if forecast:
        by_rep = pd.DataFrame(forecast, columns=["node_id", "mean", "sd"])
        by_rep["rep_id"] = by_rep["node_id"].str.rsplit(" > ", n=1).str[-1]
        total_mean, total_var = by_rep["mean"].sum(), (by_rep["sd"] ** 2).sum()
        mean = share * total_mean  # forecasts follow the rep's new share of potential
        sd = share * (total_var ** 0.5) * (len(share) ** 0.5)  # spread evenly, keeping the company variance
        source = "revenue forecast (ml.revenue_forecast, next 12 months)"
    else:
        last_year = conn.execute("""select coalesce(sum(amount), 0)::float8 from marts.fct_deals where is_won
            and closed_at >= (select as_of_date from marts.int_kpi__as_of) - 365""").fetchone()[0]
        total_mean = last_year * (1 + settings["growth"])
        mean, sd = share * total_mean, share * total_mean * 0.25
        source = f"last year's bookings x {1 + settings['growth']:.2f} (no revenue forecast yet)"
    target = settings.get("company_target") or float(total_mean)
    if settings.get("company_target"):
        source = "run config company_target"
    reps = pd.DataFrame({"rep_id": per_rep_potential.index, "potential": per_rep_potential.to_numpy(),
                         "forecast_mean": mean.to_numpy(), "forecast_sd": sd.to_numpy()})
    return reps, float(target), source


def propose(conn: psycopg.Connection, settings: dict[str, Any], run_id: str | None = None) -> Proposal:
    """Solve the demo organisation's territories and quotas with `settings` (TerritoryReoptimizationConfig)
    and store the proposal."""
    from optimization.quota import InfeasibleQuota, allocate_quotas
    from optimization.territory import solve_territories

    inputs = territory_inputs(conn, settings.get("locked_accounts"))
    plan = solve_territories(inputs.units, inputs.reps, inputs.current, inputs.locked,
                             balance_tolerance=settings["balance_tolerance"],
                             max_disruption=settings.get("max_disruption"),
                             time_limit=settings["time_limit_seconds"])
    before = alignment_metrics(inputs, inputs.current)
    after = alignment_metrics(inputs, plan.assignments)
    potential = plan.assignments.merge(inputs.units, on="unit_id").groupby("rep_id")["potential"].sum()
    reps, target, target_source = quota_inputs(conn, potential, settings)
    try:
        quota = allocate_quotas(reps, target)
        quotas, quota_summary = quota.quotas, {**quota.report, "target_source": target_source}
    except InfeasibleQuota as error:
        quotas, quota_summary = None, {"infeasible": str(error), "target": target, "target_source": target_source}
    moved = plan.assignments.merge(inputs.current, on="unit_id", suffixes=("", "_before"))
    moved = moved[moved["rep_id"] != moved["rep_id_before"]]
    report_md = _report(settings, plan.report, before, after, len(moved), len(inputs.units), quota_summary)
    plan_id = write_proposal(conn, inputs, plan, settings, before, report_md, run_id, quotas, quota_summary)
    headline = {"status": plan.report.get("status"), "units_moved": len(moved),
                "potential_max_deviation_before": before["balance"]["potential"]["max_deviation"],
                "potential_max_deviation_after": after["balance"]["potential"]["max_deviation"],
                "workload_max_deviation_before": before["balance"]["workload"]["max_deviation"],
                "workload_max_deviation_after": after["balance"]["workload"]["max_deviation"],
                "travel_before": before["travel"], "travel_after": after["travel"]}
    return Proposal(plan_id, report_md.replace(PLAN_ID_PLACEHOLDER, plan_id), headline)


def _report(settings: dict[str, Any], solver: dict[str, Any], before: dict[str, Any], after: dict[str, Any],
            moved: int, units: int, quota: dict[str, Any]) -> str:
    """The proposal as sales ops read it: settings, before/after balance and travel, solver quality, quotas."""
    def row(label: str, key: str) -> str:
        return (f"| {label} | {before['balance'][key]['min']:.3f} .. {before['balance'][key]['max']:.3f} "
                f"(±{before['balance'][key]['max_deviation']:.1%}) | {after['balance'][key]['min']:.3f} .. "
                f"{after['balance'][key]['max']:.3f} (±{after['balance'][key]['max_deviation']:.1%}) |")

    lines = [
        f"## Territory proposal {PLAN_ID_PLACEHOLDER}",
        f"Balance tolerance ±{settings['balance_tolerance']:.0%}, disruption cap "
        f"{'none' if settings.get('max_disruption') is None else format(settings['max_disruption'], '.0%')}, "
        f"time limit {settings['time_limit_seconds']:.0f} s, {len(settings.get('locked_accounts') or [])} extra "
        "locked accounts (key accounts always locked).",
        "", "| per rep, relative to the mean | current | proposed |", "|---|---|---|",
        row("potential", "potential"), row("workload", "workload"),
        f"| travel (workload x km) | {before['travel']:,.0f} | {after['travel']:,.0f} |",
        "", f"Accounts changing owner: {moved:,} of {units:,}. Solver: {solver.get('status')}, gap to the LP bound "
        f"{solver.get('gap', float('nan')):.2%}, {solver.get('seconds', 0):.1f} s.",
    ]
    if "infeasible" in quota:
        lines += ["", f"Quotas: not allocated ({quota['infeasible']})."]
    else:
        lines += ["", f"Quotas: target {quota['target']:,.0f} INR from {quota['target_source']}; sum of quotas / "
                      f"target {quota['sum_of_quotas_over_target']:.3f}; expected share of reps at or above quota "
                      f"{quota['expected_share_at_or_above_quota']:.0%}."]
    lines += ["", "Apply with the `apply_territory_plan` job (run config: plan_id, effective_date)."]
    return "\n".join(lines)
