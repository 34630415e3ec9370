"""ML benchmark on the scale-1 warehouse: forecast accuracy on the last 12 (unseen) months per hierarchy level,
deal-win and lead-scoring holdout metrics against the CRM baseline and the simulator's hidden truth, and
bring-your-own-table scoring against plain logistic regression and default LightGBM on 1k/10k-row tables.

Reads the warehouse `salesops.warehouse.warehouse_url()` points to (loaded, marts built); writes nothing to it.
Figures are wall-clock on a possibly shared machine: the header prints the load average at start.
Run: `.venv/bin/python -m benchmarks.ml [--sections forecast,scoring,tabular]`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesops.warehouse import warehouse_url

SECTIONS = ("forecast", "scoring", "tabular")
HORIZON = 12  # months held out and forecast
FOLDS = 3
FORCED = ("seasonal_naive", "ets", "theta", "prophet")  # each also run alone, next to backtest selection
SEED = 0
TEST_SHARE = 0.3
TABLE_ROWS = (1_000, 10_000)
TARGET = "target"


def timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return call(*args, **kwargs), time.perf_counter() - started


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.{digits}f}"


# Forecasting ------------------------------------------------------------------------------------------------


def holdout_scores(train: pd.Series, actual: pd.Series, predicted: pd.DataFrame) -> dict[str, float]:
    """The backtest's own metrics on the held-out months; MASE is scaled by the training part's in-sample
    seasonal-naive MAE, so it reads exactly like the backtest's figure."""
    from ml.forecasting import SEASON_LENGTHS, metrics

    y, yhat = actual.to_numpy(), predicted["yhat"].to_numpy()
    bounds = {column: predicted[column].to_numpy() for column in ("yhat_lower_80", "yhat_upper_80", "yhat_lower",
                                                                   "yhat_upper")}
    return {
        "mase": metrics.mase(y, yhat, metrics.mase_scale(train.to_numpy(), SEASON_LENGTHS["MS"])),
        "smape": metrics.smape(y, yhat),
        "coverage_80": metrics.coverage(y, bounds["yhat_lower_80"], bounds["yhat_upper_80"]),
        "coverage_95": metrics.coverage(y, bounds["yhat_lower"], bounds["yhat_upper"]),
    }


def bench_forecast(url: str) -> dict[str, Any]:
    """Every hierarchy node: fit on all but the last HORIZON months (selection by backtest, and each FORCED
    candidate alone), score on those months; the selected base forecasts are also reconciled (wls_struct)."""
    import psycopg

    from ml.forecasting import ForecastError, ForecastInputError, forecast, reconcile_forecasts
    from ml.revenue import PROPHET_LEVELS, STAT_CANDIDATES, hierarchy_series, load_bookings

    with psycopg.connect(url) as conn:
        bookings, as_of, last_month = load_bookings(conn)
    hierarchy, series = hierarchy_series(bookings, last_month)
    rows, base, skipped, failed, selected = [], [], Counter(), Counter(), {}
    for node, (level, values) in series.items():
        train, actual = values.iloc[:-HORIZON], values.iloc[-HORIZON:]
        candidates = [*STAT_CANDIDATES, "prophet"] if level in PROPHET_LEVELS else list(STAT_CANDIDATES)
        try:
            predicted, result = forecast(train, HORIZON, freq="MS", folds=FOLDS, candidates=candidates)
        except (ForecastInputError, ForecastError):
            skipped[level] += 1
            continue
        selected[node] = result.selected
        base.append(predicted.assign(node=node))
        rows.append({"node": node, "level": level, "model": "selected", **holdout_scores(train, actual, predicted)})
        for name in [name for name in FORCED if name in candidates]:
            if name == result.selected:  # the same fit on the same history
                alone = predicted
            else:
                try:
                    alone, _ = forecast(train, HORIZON, freq="MS", folds=FOLDS, candidates=[name])
                except ForecastError:
                    failed[name] += 1
                    continue
            rows.append({"node": node, "level": level, "model": name, **holdout_scores(train, actual, alone)})
    if not skipped:  # reconciliation needs a base forecast for every node
        reconciled = reconcile_forecasts(pd.concat(base, ignore_index=True), hierarchy, method="wls_struct")
        for node, predicted in reconciled.groupby("node"):
            level, values = series[node]
            rows.append({"node": node, "level": level, "model": "reconciled",
                         **holdout_scores(values.iloc[:-HORIZON], values.iloc[-HORIZON:], predicted.sort_values("ds"))})
    scores = pd.DataFrame(rows)
    levels = {}
    for level, at_level in scores.groupby("level", sort=False):
        by_model = at_level.groupby("model", sort=False)[["mase", "smape", "coverage_80", "coverage_95"]].mean()
        wide = at_level.pivot(index="node", columns="model", values="mase")
        levels[level] = {
            "series": int(wide.shape[0]),
            "models": {model: {"n": int((at_level["model"] == model).sum()), **{k: round(v, 4) for k, v in row.items()}}
                       for model, row in by_model.iterrows()},
            "selected_beats_seasonal_naive": round(float((wide["selected"] < wide["seasonal_naive"]).mean()), 3),
            "selected_ties_seasonal_naive": round(float((wide["selected"] == wide["seasonal_naive"]).mean()), 3),
            "selected_models": dict(Counter(selected[node] for node in wide.index).most_common()),
        }
    train_until = last_month - pd.DateOffset(months=HORIZON)
    return {"section": "forecast", "as_of": str(as_of), "train_until": f"{train_until:%Y-%m}",
            "holdout_months": f"{series['company'][1].index[-HORIZON]:%Y-%m}..{last_month:%Y-%m}",
            "series": len(series), "skipped_short": dict(skipped), "forced_failed": dict(failed),
            "reconciled": not skipped, "levels": levels}


def print_forecast(result: dict[str, Any]) -> None:
    print(f"\n== forecasting: {result['series']} series, trained up to {result['train_until']}, scored on "
          f"{result['holdout_months']} (unseen); skipped (too short): {result['skipped_short'] or 0}; "
          f"forced fits failed: {result['forced_failed'] or 0}")
    print(f"   {'level':<8} {'n':>3}  {'model':<15} {'MASE':>6} {'sMAPE':>6} {'cov80':>6} {'cov95':>6}")
    for level, figures in result["levels"].items():
        for model, row in figures["models"].items():
            print(f"   {level:<8} {row['n']:>3}  {model:<15} {_fmt(row['mase'], 2):>6} {_fmt(row['smape'], 1):>6} "
                  f"{_fmt(row['coverage_80'], 2):>6} {_fmt(row['coverage_95'], 2):>6}")
        chosen = ", ".join(f"{name} {count}" for name, count in figures["selected_models"].items())
        print(f"   {level:<8}      selected beats seasonal naive on {figures['selected_beats_seasonal_naive']:.0%} "
              f"of series (same MASE on {figures['selected_ties_seasonal_naive']:.0%}); chosen: {chosen}")


# Deal win and lead scoring ----------------------------------------------------------------------------------


@functools.cache
def lead_frame(url: str) -> pd.DataFrame:
    """Lead snapshots at 24 h, read once for the scoring and tabular sections."""
    from ml.lead_scoring import lead_snapshots

    return lead_snapshots(url)


def _rounded(metrics: dict[str, Any]) -> dict[str, Any]:
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in metrics.items()}


def bench_scoring(url: str) -> dict[str, Any]:
    """Deal win vs the CRM stage probability, and lead scoring vs the simulator's true conversion probabilities
    (the world rebuilt in-process from the simulator's default seed, scale and as-of date)."""
    from ml.deal_win import deal_snapshots, score_open_deals, train_deal_win
    from ml.lead_scoring import oracle_metrics, train_lead_scoring
    from simulator.server import SimulatorConfig
    from simulator.world import build_world

    deals, deal_features_s = timed(deal_snapshots, url)
    deal, deal_train_s = timed(train_deal_win, deals)
    open_scores, deal_score_s = timed(score_open_deals, url, deal.model)
    leads_started = time.perf_counter()
    leads = lead_frame(url)
    lead_features_s = time.perf_counter() - leads_started
    lead, lead_train_s = timed(train_lead_scoring, leads)
    config = SimulatorConfig()
    world, world_s = timed(build_world, config.seed, config.scale, config.as_of)
    oracle = oracle_metrics(lead, world.oracle_leads)
    return {
        "section": "scoring",
        "deal_win": {"snapshots": len(deals), "rows": deal.rows, "holdout": deal.holdout_id,
                     "model": _rounded(deal.metrics["model"]), "crm_baseline": _rounded(deal.metrics["baseline"]),
                     "open_deals_scored": len(open_scores), "features_s": round(deal_features_s, 1),
                     "train_s": round(deal_train_s, 1), "score_open_s": round(deal_score_s, 1)},
        "lead_scoring": {"snapshots": len(leads), "rows": lead.rows, "holdout": lead.holdout_id,
                         "model": _rounded(lead.metrics["model"]), "tiers_holdout": lead.tier_holdout,
                         "oracle_world": f"seed={config.seed} scale={config.scale:g} as_of={config.as_of}",
                         "oracle_leads": len(world.oracle_leads), "matched": oracle["n"],
                         "holdout_rows": oracle["holdout_rows"], "label_agreement": oracle["label_agreement"],
                         "model_on_matched": _rounded(oracle["model"]), "oracle_on_matched": _rounded(oracle["oracle"]),
                         "features_s": round(lead_features_s, 1), "train_s": round(lead_train_s, 1),
                         "world_build_s": round(world_s, 1)},
    }


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{part} {count:,}" for part, count in rows.items())


def _metric_line(name: str, metrics: dict[str, Any]) -> str:
    return (f"      {name:<22} AUC {_fmt(metrics['auc'])}  PR-AUC {_fmt(metrics['pr_auc'])}  "
            f"Brier {_fmt(metrics['brier'], 4)}  log loss {_fmt(metrics['log_loss'], 4)}  (n {metrics['n']:,}, "
            f"positive {_fmt(metrics['positive_rate'])})")


def print_scoring(result: dict[str, Any]) -> None:
    deal, lead = result["deal_win"], result["lead_scoring"]
    print(f"\n== deal win: {deal['snapshots']:,} snapshots ({_rows(deal['rows'])}); holdout {deal['holdout']}")
    print(_metric_line("model", deal["model"]))
    print(_metric_line("CRM stage probability", deal["crm_baseline"]))
    print(f"      features {deal['features_s']} s, training {deal['train_s']} s, scoring {deal['open_deals_scored']:,} "
          f"open deals {deal['score_open_s']} s")
    print(f"\n== lead scoring: {lead['snapshots']:,} leads ({_rows(lead['rows'])}); holdout {lead['holdout']}")
    print(_metric_line("model (whole holdout)", lead["model"]))
    print(f"      oracle world {lead['oracle_world']}: {lead['oracle_leads']:,} oracle leads, matched "
          f"{lead['matched']:,} of {lead['holdout_rows']:,} holdout leads by lead_id "
          f"(oracle 'converted' = warehouse is_sql on {_fmt(lead['label_agreement'])})")
    print(_metric_line("model (matched)", lead["model_on_matched"]))
    print(_metric_line("oracle (matched)", lead["oracle_on_matched"]))
    tiers = ", ".join(f"{tier} {figures['share']:.0%} of leads at {_fmt(figures['sql_rate'])} SQL rate"
                      for tier, figures in lead["tiers_holdout"].items())
    print(f"      holdout tiers: {tiers}")
    print(f"      features {lead['features_s']} s, training {lead['train_s']} s, "
          f"world rebuild {lead['world_build_s']} s")


# Tabular scoring --------------------------------------------------------------------------------------------


def synthetic_table(rows: int, seed: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    """A CRM-like table (id, 9 numeric with ~10% missing in five, 4 categorical, binary target) whose log-odds
    are mostly linear with two interactions: the regime where a linear model should hold its own."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 9))
    x[:, 1] = 0.6 * x[:, 0] + 0.8 * x[:, 1]  # correlated pair
    x[:, 2] = np.exp(x[:, 2])  # skewed, like an amount
    industry = rng.choice(["saas", "retail", "manufacturing", "finance", "health", "education"], size=rows,
                          p=[0.3, 0.2, 0.2, 0.15, 0.1, 0.05])
    region = rng.choice(["north", "south", "east", "west"], size=rows)
    source = rng.choice(["web", "referral", "event", "outbound"], size=rows, p=[0.4, 0.2, 0.15, 0.25])
    city = rng.choice([f"city-{i:02d}" for i in range(60)], size=rows)  # many levels, no signal
    industry_effect = {"saas": 0.6, "retail": -0.3, "manufacturing": 0.0, "finance": 0.4, "health": -0.5,
                       "education": -0.8}
    logit = (-1.3 + x @ np.array([0.9, 0.5, 0.15, -0.7, 0.4, 0.3, 0.0, 0.0, 0.0])
             + pd.Series(industry).map(industry_effect).to_numpy() + 0.3 * (region == "south")
             + 0.5 * x[:, 0] * x[:, 3] + 0.8 * (source == "referral") * x[:, 4])
    y = rng.random(rows) < 1 / (1 + np.exp(-logit))
    x[:, :5][rng.random((rows, 5)) < 0.1] = np.nan
    numeric = [f"num_{i}" for i in range(9)]
    categorical = ["industry", "region", "source", "city"]
    frame = pd.DataFrame({"record_id": [f"R{seed}-{i:06d}" for i in range(rows)],
                          **dict(zip(numeric, x.T, strict=True)),
                          "industry": industry, "region": region, "source": source, "city": city,
                          TARGET: y.astype(int)})
    return frame, numeric, categorical


def lead_table(url: str, rows: int, seed: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    """A sample of labelled warehouse leads with their 24 h features: real category mixes and a weak signal."""
    from ml.lead_scoring import CATEGORICAL, LABEL, NUMERIC

    labelled = lead_frame(url).dropna(subset=[LABEL])
    sample = labelled.sample(n=min(rows, len(labelled)), random_state=seed)
    categories = sample[CATEGORICAL].astype(object)
    frame = pd.concat([sample[["lead_id"]], sample[NUMERIC].astype(float),
                       categories.where(categories.notna(), np.nan)], axis=1)  # None -> NaN, which imputers see
    return frame.assign(**{TARGET: sample[LABEL].astype(int)}).reset_index(drop=True), list(NUMERIC), list(CATEGORICAL)


def baselines(numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    """What an analyst would try first: a default logistic regression (median impute, scale, one-hot) and a
    default LightGBM on the raw columns (categories native)."""
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical),
    ])
    return {"logistic_default": make_pipeline(columns, LogisticRegression(max_iter=1000)),
            "lgbm_default": LGBMClassifier(verbose=-1)}


def _as_lgbm_input(frame: pd.DataFrame, numeric: list[str], categorical: list[str],
                   categories: dict[str, pd.Index]) -> pd.DataFrame:
    """Numbers as floats, categories as the training set's (unseen values become missing)."""
    return frame[numeric].astype(float).assign(**{
        name: frame[name].where(frame[name].isin(categories[name])).astype(pd.CategoricalDtype(categories[name]))
        for name in categorical})


def bench_table(name: str, frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    """fit_table on a stratified 70% (via CSV, as an analyst runs it), predict_table on the 30%, and the two
    baselines fitted on the same 70%."""
    from sklearn.model_selection import train_test_split

    from ml.scoring import binary_metrics, fit_table, predict_table

    train, test = train_test_split(frame, test_size=TEST_SHARE, stratify=frame[TARGET], random_state=SEED)
    y_test = test[TARGET].to_numpy()
    models = {}
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        train.to_csv(directory / "train.csv", index=False)
        test.to_csv(directory / "test.csv", index=False)
        summary, fit_s = timed(fit_table, directory / "train.csv", TARGET, directory / "model", seed=SEED)
        predict_table(directory / "model", directory / "test.csv", directory / "scored.csv")
        scores = pd.read_csv(directory / "scored.csv")["score"].to_numpy()
    models["fit_table"] = {"fit_s": round(fit_s, 2), **_rounded(binary_metrics(y_test, scores))}
    categories = {column: pd.Index(train[column].dropna().unique()) for column in categorical}
    for label, model in baselines(numeric, categorical).items():
        lgbm = label == "lgbm_default"
        X_train = _as_lgbm_input(train, numeric, categorical, categories) if lgbm else train
        X_test = _as_lgbm_input(test, numeric, categorical, categories) if lgbm else test
        _, seconds = timed(model.fit, X_train, train[TARGET].to_numpy())
        models[label] = {"fit_s": round(seconds, 2),
                         **_rounded(binary_metrics(y_test, model.predict_proba(X_test)[:, 1]))}
    return {"table": name, "train_rows": len(train), "test_rows": len(test), "columns": frame.shape[1],
            "positive_rate": round(float(frame[TARGET].mean()), 3), "cv_selected": summary["selected"],
            "calibrated": summary["calibration"]["applied"], "ignored": list(summary["ignored"]),
            "cv_log_loss": {model: round(cv["log_loss"], 4) for model, cv in summary["candidates"].items()},
            "models": models}


def bench_tabular(url: str) -> dict[str, Any]:
    tables = []
    for rows in TABLE_ROWS:
        tables.append(bench_table(f"synthetic {rows // 1000}k", *synthetic_table(rows, seed=rows)))
        tables.append(bench_table(f"leads {rows // 1000}k", *lead_table(url, rows, seed=SEED)))
    return {"section": "tabular", "tables": tables}


def print_tabular(result: dict[str, Any]) -> None:
    print("\n== tabular scoring: holdout 30% (stratified), fit on 70%")
    for table in result["tables"]:
        cv = ", ".join(f"{model} {loss}" for model, loss in table["cv_log_loss"].items())
        print(f"   {table['table']}: {table['train_rows']:,} train / {table['test_rows']:,} test rows, "
              f"{table['columns']} columns, {table['positive_rate']:.1%} positive; CV picked {table['cv_selected']}"
              f"{' (calibrated)' if table['calibrated'] else ''}; CV log loss {cv}; ignored {table['ignored']}")
        for model, figures in table["models"].items():
            print(f"      {model:<17} AUC {_fmt(figures['auc'])}  log loss {_fmt(figures['log_loss'], 4)}  "
                  f"fit {figures['fit_s']} s")


# ------------------------------------------------------------------------------------------------------------

BENCHES = {"forecast": (bench_forecast, print_forecast), "scoring": (bench_scoring, print_scoring),
           "tabular": (bench_tabular, print_tabular)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    args = parser.parse_args()
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; available: {', '.join(SECTIONS)}")
    url = warehouse_url()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"ML benchmark: {os.cpu_count()} cores, load average at start {load} (1/5/15 min); "
          f"warehouse {url.rsplit('/', 1)[-1]}")
    for name in sections:
        bench, show = BENCHES[name]
        result, seconds = timed(bench, url)
        result["seconds"] = round(seconds, 1)
        show(result)
        print(f"   ({name}: {result['seconds']} s)")
        print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
