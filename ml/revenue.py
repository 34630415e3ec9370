"""Revenue forecasting over the sales hierarchy: monthly bookings per company, region, team and rep, 12
months ahead with a fiscal-quarter roll-up, written to `ml.revenue_forecast` and `ml.forecast_accuracy`.

How the numbers are made (no default model: the backtest decides, per series):
- Series: won-deal amounts by business month of the close, from `marts.fct_deals`, up to the last complete
  month (`marts.int_kpi__as_of`). Reps sit under their *current* team and region (`marts.dim_rep`), so a team's
  history is the history of the people in it today. Reps who never booked are left out.
- Each node (company, regions, teams, reps) gets `ml.forecasting.forecast`: rolling-origin backtests on its
  own training history choose a candidate; Prophet competes at company and region level only (it is slow,
  and published results rarely favour it on monthly sales).
- The base forecasts are reconciled (structural WLS) so reps add up to teams, regions and the company.
- A pipeline forecast (open deals x win probability by expected close month) is backtested against the
  statistical one on the last months of `marts.fct_pipeline_daily` history (CRM stage probabilities; the
  live forecast uses `ml.deal_scores` when it exists) and blended in for the near months with weights chosen
  by that backtest. The blended company row is written as model `combined`, next to `pipeline`.

Rows of `ml.revenue_forecast`: as_of_date, level, node_id, period_grain (month|quarter), period_start,
kind (reconciled|base|pipeline|combined), model, yhat, yhat_lower_80, yhat_upper_80, yhat_lower_95,
yhat_upper_95. Rows of `ml.forecast_accuracy`: as_of_date, level, node_id, model, mase, smape, bias,
coverage_80, coverage_95, folds, selected. A rerun for the same as_of_date replaces that date's rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg

LEVELS = ("company", "region", "team", "rep")
NODE_SEPARATOR = " > "  # node ids are paths: "company > South > team-3 > rep-17"
PROPHET_LEVELS = ("company", "region")
STAT_CANDIDATES = ("seasonal_naive", "naive", "ets", "theta", "sarima", "combo")
PIPELINE_MONTHS = 3
BACKTEST_ORIGINS = 8

FORECAST_COLUMNS = {
    "as_of_date": "date not null", "level": "text not null", "node_id": "text not null",
    "period_grain": "text not null", "period_start": "date not null", "kind": "text not null",
    "model": "text not null", "yhat": "double precision not null", "yhat_lower_80": "double precision",
    "yhat_upper_80": "double precision", "yhat_lower_95": "double precision", "yhat_upper_95": "double precision",
}
ACCURACY_COLUMNS = {
    "as_of_date": "date not null", "level": "text not null", "node_id": "text not null", "model": "text not null",
    "mase": "double precision", "smape": "double precision", "bias": "double precision",
    "coverage_80": "double precision", "coverage_95": "double precision", "folds": "integer",
    "selected": "boolean not null",
}


@dataclass
class RevenueForecast:
    """What one forecasting run produced (also written to the warehouse)."""

    as_of_date: datetime.date
    last_month: pd.Timestamp
    forecasts: pd.DataFrame
    accuracy: pd.DataFrame
    pipeline_weights: list[float]
    pipeline_backtest: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def load_bookings(conn: psycopg.Connection) -> tuple[pd.DataFrame, datetime.date, pd.Timestamp]:
    """Monthly won amounts per rep with the rep's current team and region, the data's as-of date and the
    last complete month."""
    as_of, last_month = conn.execute(
        "select as_of_date, last_complete_month_start from marts.int_kpi__as_of").fetchone()
    rows = conn.execute("""
        with reps as (
            select rep_id, coalesce(team_id, 'no-team') as team, coalesce(region, 'Unassigned') as region
            from marts.dim_rep where is_current
        )
        select
            coalesce(reps.region, 'Unassigned'), coalesce(reps.team, 'no-team'), deals.rep_id,
            date_trunc('month', deals.closed_at at time zone %(tz)s)::date, sum(deals.amount)::float8
        from marts.fct_deals as deals
        left join reps on reps.rep_id = deals.rep_id
        where deals.is_won and deals.rep_id is not null
            and date_trunc('month', deals.closed_at at time zone %(tz)s)::date <= %(last)s
        group by 1, 2, 3, 4""", {"tz": "Asia/Kolkata", "last": last_month}).fetchall()
    frame = pd.DataFrame(rows, columns=["region", "team", "rep", "month", "bookings"])
    frame["month"] = pd.to_datetime(frame["month"])
    return frame, as_of, pd.Timestamp(last_month)


def hierarchy_series(bookings: pd.DataFrame, last_month: pd.Timestamp):
    """The hierarchy and one gap-free monthly series per node (node id -> (level, series))."""
    from ml.forecasting import hierarchy_from_frame

    months = pd.date_range(bookings["month"].min(), last_month, freq="MS")
    leaves = bookings.assign(company="company").groupby(["company", "region", "team", "rep"], as_index=False)[
        "bookings"].sum()
    hierarchy = hierarchy_from_frame(leaves, LEVELS, separator=NODE_SEPARATOR)
    levels = {NODE_SEPARATOR.join(path[:depth + 1]): level
              for path in leaves[list(LEVELS)].astype(str).itertuples(index=False)
              for depth, level in enumerate(LEVELS)}
    wide = bookings.pivot_table(index="month", columns="rep", values="bookings", aggfunc="sum").reindex(
        months, fill_value=0.0).fillna(0.0)
    node_values = wide[leaves["rep"]].to_numpy() @ hierarchy.summing.T  # leaves in the frame's row order
    return hierarchy, {node: (levels[node], pd.Series(node_values[:, index], index=months, name=node).asfreq("MS"))
                       for index, node in enumerate(hierarchy.nodes)}


def forecast_nodes(series: dict[str, tuple[str, pd.Series]], horizon: int, folds: int) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Base forecasts (long: node, ds, yhat, intervals, model) and backtest metrics per node and candidate."""
    from ml.forecasting import forecast

    forecasts, accuracy = [], []
    for node, (level, values) in series.items():
        candidates = [*STAT_CANDIDATES, "prophet"] if level in PROPHET_LEVELS else list(STAT_CANDIDATES)
        predicted, result = forecast(values, horizon, freq="MS", folds=folds, candidates=candidates)
        forecasts.append(predicted.assign(node=node, level=level, model=result.selected))
        accuracy.append(result.metrics.assign(node_id=node, level=level,
                                              selected=result.metrics["candidate"] == result.selected))
    return pd.concat(forecasts, ignore_index=True), pd.concat(accuracy, ignore_index=True)


def open_pipeline(conn: psycopg.Connection, snapshot_date: datetime.date, first_month: pd.Timestamp,
                  months: int, live_scores: bool) -> pd.Series:
    """Expected bookings per month from the deals open at the end of `snapshot_date`: amount x win
    probability by expected close month (overdue deals count in the first month). `live_scores` uses the
    latest calibrated `ml.deal_scores` where a deal has one, else the CRM stage probability."""
    score_join = """
        left join lateral (
            select win_probability from ml.deal_scores as scores
            where scores.deal_id = pipeline.deal_id order by as_of_date desc limit 1
        ) as scored on true""" if live_scores else ""
    probability = "coalesce(scored.win_probability, pipeline.crm_probability)" if live_scores else \
        "pipeline.crm_probability"
    rows = conn.execute(f"""
        select greatest(date_trunc('month', pipeline.expected_close_date)::date, %(first)s::date) as month,
               sum(pipeline.amount * {probability})::float8
        from marts.fct_pipeline_daily as pipeline {score_join}
        where pipeline.snapshot_date = %(snapshot)s
        group by 1""", {"first": first_month.date(), "snapshot": snapshot_date}).fetchall()
    expected = pd.Series({pd.Timestamp(month): value for month, value in rows}, dtype=float)
    return expected.reindex(pd.date_range(first_month, periods=months, freq="MS"), fill_value=0.0)


def _has_deal_scores(conn: psycopg.Connection) -> bool:
    return conn.execute("select to_regclass('ml.deal_scores') is not null").fetchone()[0]


def pipeline_blend_weights(conn: psycopg.Connection, company: pd.Series, selected: str) -> tuple[
        list[float], pd.DataFrame]:
    """Per near month h, the weight of the pipeline forecast that minimised absolute error when blended with
    the statistical forecast over the last BACKTEST_ORIGINS origins that have a pipeline snapshot."""
    from ml.forecasting import forecast

    first_snapshot = conn.execute("select min(snapshot_date) from marts.fct_pipeline_daily").fetchone()[0]
    rows = []
    for origin in company.index[-BACKTEST_ORIGINS:]:
        snapshot = (origin - pd.Timedelta(days=1)).date()
        history = company[company.index < origin]
        if first_snapshot is None or snapshot < first_snapshot:
            continue
        try:
            statistical, _ = forecast(history, PIPELINE_MONTHS, freq="MS", folds=1, candidates=[selected])
        except ValueError:
            continue  # history too short at this origin
        pipeline = open_pipeline(conn, snapshot, origin, PIPELINE_MONTHS, live_scores=False)
        for step, (month, stat_value) in enumerate(zip(statistical["ds"], statistical["yhat"], strict=True), 1):
            if month in company.index:
                rows.append({"origin": origin, "step": step, "month": month, "actual": company[month],
                             "statistical": stat_value, "pipeline": pipeline[month]})
    backtest = pd.DataFrame(rows, columns=["origin", "step", "month", "actual", "statistical", "pipeline"])
    weights = []
    for step in range(1, PIPELINE_MONTHS + 1):
        at_step = backtest[backtest["step"] == step]
        if at_step.empty:
            weights.append(0.0)
            continue
        grid = [w / 10 for w in range(11)]
        errors = [((1 - w) * at_step["statistical"] + w * at_step["pipeline"] - at_step["actual"]).abs().mean()
                  for w in grid]
        weights.append(grid[min(range(len(grid)), key=errors.__getitem__)])
    return weights, backtest


def quarter_rollup(monthly: pd.DataFrame) -> pd.DataFrame:
    """Fiscal quarters (April-March years, so quarters start in Jan/Apr/Jul/Oct) summed from their three
    months (actuals to date included by the caller); interval half-widths add in quadrature (months
    treated as independent). Quarters without all three months are left out."""
    frame = monthly.assign(period_start=monthly["period_start"].dt.to_period("Q").dt.start_time)
    keys = ["level", "node_id", "kind", "model", "period_start"]
    counts = frame.groupby(keys)["yhat"].transform("size")
    frame = frame[counts == 3]
    if frame.empty:
        return frame.assign(period_grain="quarter")
    out = frame.groupby(keys, as_index=False)["yhat"].sum()
    for level_name in ("80", "95"):
        half = ((frame[f"yhat_upper_{level_name}"] - frame[f"yhat_lower_{level_name}"]) / 2) ** 2
        spread = half.groupby([frame[k] for k in keys]).sum().pow(0.5).reset_index(drop=True)
        out[f"yhat_lower_{level_name}"] = out["yhat"] - spread
        out[f"yhat_upper_{level_name}"] = out["yhat"] + spread
    return out.assign(period_grain="quarter")


def _quarter_to_date(monthly: pd.DataFrame, series: dict[str, tuple[str, pd.Series]],
                     last_month: pd.Timestamp) -> pd.DataFrame:
    """Actual bookings of the current quarter's closed months, as zero-width rows for every forecast row
    kind, so the current quarter rolls up as actuals to date plus the forecast of the rest."""
    quarter_start = last_month.to_period("Q").start_time
    closed = pd.date_range(quarter_start, last_month, freq="MS") if last_month.month % 3 else []
    rows = []
    for (level, node, kind, model), _ in monthly.groupby(["level", "node_id", "kind", "model"]):
        for month in closed:
            actual = float(series[node][1][month])
            rows.append({"level": level, "node_id": node, "period_start": month, "kind": kind, "model": model,
                         "yhat": actual, "yhat_lower_80": actual, "yhat_upper_80": actual,
                         "yhat_lower_95": actual, "yhat_upper_95": actual, "period_grain": "month"})
    return pd.DataFrame(rows, columns=monthly.columns)


def _long(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Library forecast columns -> table columns."""
    return pd.DataFrame({
        "level": frame["level"], "node_id": frame["node"], "period_start": pd.to_datetime(frame["ds"]),
        "kind": kind, "model": frame["model"], "yhat": frame["yhat"],
        "yhat_lower_80": frame["yhat_lower_80"], "yhat_upper_80": frame["yhat_upper_80"],
        "yhat_lower_95": frame["yhat_lower"], "yhat_upper_95": frame["yhat_upper"]})


def run_revenue_forecast(url: str, horizon: int = 12, folds: int = 3, schema: str = "ml") -> RevenueForecast:
    """Forecast every node, reconcile, blend the pipeline into the company's near months and write the
    tables (replacing this as-of date's rows)."""
    from ml.forecasting import blend, reconcile_forecasts

    with psycopg.connect(url) as conn:
        bookings, as_of, last_month = load_bookings(conn)
        if bookings.empty:
            raise ValueError("no won deals in marts.fct_deals: nothing to forecast")
        hierarchy, series = hierarchy_series(bookings, last_month)
        base, accuracy = forecast_nodes(series, horizon, folds)
        reconciled = reconcile_forecasts(base, hierarchy, method="wls_struct")
        company_model = base.loc[base["node"] == "company", "model"].iloc[0]
        weights, pipeline_backtest = pipeline_blend_weights(conn, series["company"][1], company_model)
        first_month = last_month + pd.offsets.MonthBegin(1)
        live = open_pipeline(conn, as_of - datetime.timedelta(days=1), first_month, PIPELINE_MONTHS,
                             live_scores=_has_deal_scores(conn))
    company = reconciled[reconciled["node"] == "company"].sort_values("ds").reset_index(drop=True)
    pipeline = company[["ds"]].assign(yhat=live.reindex(pd.to_datetime(company["ds"])).fillna(0.0).to_numpy())
    combined = blend(company, pipeline, weights)
    monthly = pd.concat([
        _long(base, "base"), _long(reconciled, "reconciled"),
        _long(combined.assign(model="combined"), "combined"),
        _long(pipeline.head(PIPELINE_MONTHS).assign(node="company", level="company", model="pipeline",
                                                    yhat_lower=None, yhat_upper=None, yhat_lower_80=None,
                                                    yhat_upper_80=None), "pipeline"),
    ], ignore_index=True).assign(period_grain="month")
    statistical = monthly[monthly["kind"] != "pipeline"]
    quarterly = quarter_rollup(pd.concat([statistical, _quarter_to_date(statistical, series, last_month)],
                                         ignore_index=True))
    forecasts = pd.concat([monthly, quarterly], ignore_index=True)
    accuracy = accuracy.rename(columns={"candidate": "model"})
    write_forecasts(url, as_of, forecasts, accuracy, schema)
    summary = {
        "as_of_date": str(as_of), "last_complete_month": str(last_month.date()), "nodes": len(series),
        "company_model": company_model, "pipeline_weights": weights,
        "mean_mase_by_level": accuracy[accuracy["selected"]].groupby("level")["mase"].mean().round(3).to_dict(),
        "coverage_80_by_level": accuracy[accuracy["selected"]].groupby("level")["coverage_80"].mean().round(3)
        .to_dict(),
    }
    return RevenueForecast(as_of, last_month, forecasts, accuracy, weights, pipeline_backtest, summary)


def write_forecasts(url: str, as_of: datetime.date, forecasts: pd.DataFrame, accuracy: pd.DataFrame,
                    schema: str = "ml") -> None:
    """Replace this as-of date's rows of both tables (reruns never duplicate)."""
    from ml.features.db import write_scores

    write_scores(url, forecasts.assign(as_of_date=as_of), table="revenue_forecast", columns=FORECAST_COLUMNS,
                 key=["as_of_date", "level", "node_id", "period_grain", "period_start", "kind"],
                 replace_on="as_of_date", schema=schema)
    write_scores(url, accuracy.assign(as_of_date=as_of), table="forecast_accuracy", columns=ACCURACY_COLUMNS,
                 key=["as_of_date", "level", "node_id", "model"], replace_on="as_of_date", schema=schema)
