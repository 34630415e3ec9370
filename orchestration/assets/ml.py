"""ML assets: models trained weekly (group `ml_training`) and scores refreshed daily (group `ml`).

Each scoring model has a lifecycle of three assets and a gate:
- `<model>_challenger` trains on the marts, logs the run to MLflow and registers a new version;
- the blocking check `beats_champion` compares it with the current champion on the challenger's own holdout
  (the champion is re-scored on it when it was measured on another one);
- `<model>_champion` moves the `champion` alias to the challenger. A failed gate skips it, so a worse
  model never replaces a better one;
- `<model>_scores` (in the daily refresh; scores describe the latest data, like the ingestion assets,
  so they are not partitioned) always scores with the champion.

`revenue_forecast` (+ `forecast_accuracy`) is retrained in the same weekly job. MLflow, LightGBM, pandas and the
forecasting libraries are imported inside the steps: this module stays cheap for the code location.
"""

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)

from orchestration.resources import WarehouseResource

ML_PREFIX = "ml"  # asset keys ml/<name>; the tables live in schema ml
TRAINING_GROUP = "ml_training"
SCORING_GROUP = "ml"
PROMOTION_METRIC = "log_loss"  # calibrated probabilities: the proper score the gate compares, lower is better
SEED = 0


def marts(*names: str) -> list[AssetKey]:
    return [AssetKey(["marts", name]) for name in names]


@dataclass(frozen=True)
class ScoringModel:
    """One registered model: how to train it (-> TrainingResult, extra metrics, extra version tags) and how to
    score with the champion (-> rows written, metadata)."""

    name: str
    description: str
    sources: list[AssetKey]
    train: Callable[[str], tuple[Any, dict[str, float], dict[str, str]]]
    score: Callable[[str, Any, Any], tuple[int, dict[str, Any]]]
    scores_table: str

    def key(self, suffix: str) -> AssetKey:
        return AssetKey([ML_PREFIX, f"{self.name}_{suffix}"])


def _train_deal_win(url: str) -> tuple[Any, dict[str, float], dict[str, str]]:
    from ml.deal_win import deal_snapshots, train_deal_win

    return train_deal_win(deal_snapshots(url), seed=SEED), {}, {}


def _score_deals(url: str, model: Any, version: Any) -> tuple[int, dict[str, Any]]:
    from ml.deal_win import score_open_deals, write_deal_scores

    frame = score_open_deals(url, model)
    written = write_deal_scores(url, frame, version.version)
    return written, {"mean_win_probability": float(frame["win_probability"].mean()) if written else None,
                     "mean_crm_probability": float(frame["crm_probability"].mean()) if written else None}


def _simulator_oracle() -> list[dict[str, Any]] | None:
    """The simulator's hidden lead conversion probabilities, when the CRM is the simulator (None otherwise)."""
    import requests

    from ingestion.endpoints import resolve_endpoint

    try:
        response = requests.get(f"{resolve_endpoint('crm').base_url}/_simulator/oracle/leads", timeout=30)
    except requests.RequestException:
        return None
    return response.json().get("results") if response.ok else None


def _train_lead_scoring(url: str) -> tuple[Any, dict[str, float], dict[str, str]]:
    from ml.lead_scoring import lead_snapshots, oracle_metrics, train_lead_scoring

    result = train_lead_scoring(lead_snapshots(url), seed=SEED)
    extra = {f"holdout_{tier}_sql_rate": values["sql_rate"] for tier, values in result.tier_holdout.items()}
    oracle = _simulator_oracle()
    if oracle:
        compared = oracle_metrics(result, oracle)
        extra |= {"oracle_auc": compared["oracle"]["auc"], "oracle_holdout_rows": compared["n"]}
    tags = {f"tier_{tier}": repr(bound) for tier, bound in result.tiers.items()}
    return result, {k: float(v) for k, v in extra.items() if v is not None}, tags


def _score_leads(url: str, model: Any, version: Any) -> tuple[int, dict[str, Any]]:
    from ml.lead_scoring import score_all_leads, write_lead_scores

    thresholds = {tier: float(version.tags[f"tier_{tier}"]) for tier in ("hot", "warm")}
    frame = score_all_leads(url, model, thresholds)
    written = write_lead_scores(url, frame, version.version)
    return written, {"tiers": MetadataValue.json(frame["tier"].value_counts().to_dict()),
                     "thresholds": MetadataValue.json(thresholds)}


SCORING_MODELS = [
    ScoringModel(
        name="deal_win", description="Probability that an open deal is won (LightGBM on point-in-time deal "
        "snapshots, calibrated), against the CRM stage probability.",
        sources=marts("fct_deals", "fct_deal_stage_transitions", "fct_activities", "dim_deal_stage"),
        train=_train_deal_win, score=_score_deals, scores_table="deal_scores"),
    ScoringModel(
        name="lead_scoring", description="Probability that a lead becomes sales-qualified, from what is known "
        "24 h after it arrives (LightGBM, calibrated), with hot/warm/cold tiers.",
        sources=[*marts("fct_leads"), AssetKey(["staging", "stg_marketing__engagement_events"])],
        train=_train_lead_scoring, score=_score_leads, scores_table="lead_scores"),
]


def _tracking(url: str):
    """ml.tracking configured for this warehouse (imports MLflow: call inside steps only)."""
    tracking = importlib.import_module("ml.tracking")
    tracking.configure(url)
    return tracking


def _challenger_asset(model: ScoringModel):
    @asset(key=model.key("challenger"), group_name=TRAINING_GROUP, deps=model.sources, kinds={"lightgbm", "mlflow"},
           description=f"{model.description} Trains and registers a new version; the gate decides on promotion.")
    def challenger(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        url = warehouse.connection_url()
        tracking = _tracking(url)
        result, extra_metrics, extra_tags = model.train(url)
        with tracking.start_run(model.name, run_name=f"{model.name}-{context.run.run_id[:8]}",
                                params={"seed": result.seed, "calibration": result.calibration,
                                        "features": ",".join(result.features), **result.rows}):
            version = tracking.log_model_and_register(
                result.model, model.name, metrics={**result.flat_metrics(), **extra_metrics},
                holdout_id=result.holdout_id)
        client = tracking.configure(url)
        for tag, value in extra_tags.items():
            client.set_model_version_tag(model.name, version.version, tag, value)
        current = tracking.champion(model.name)
        champion_value = None
        if current is not None and current.version != version.version:
            champion_value = float(result.evaluate(tracking.load_champion(model.name))[PROMOTION_METRIC])
        return MaterializeResult(metadata={
            "version": version.version, "holdout_id": result.holdout_id,
            PROMOTION_METRIC: float(result.metrics["model"][PROMOTION_METRIC]),
            "champion_version": current.version if current else None,
            "champion_value_on_holdout": champion_value,
            "metrics": MetadataValue.json({**result.metrics, **extra_metrics}),
            "rows": MetadataValue.json(result.rows),
        })

    return challenger


def _gate_check(model: ScoringModel):
    @asset_check(asset=model.key("challenger"), name="beats_champion", blocking=True,
                 description=f"The new version's {PROMOTION_METRIC} on its holdout beats the champion's on the same "
                             "holdout (or there is no champion yet). Blocking: a refused challenger is not promoted.")
    def beats_champion(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        metadata = _latest_metadata(context, model.key("challenger"))
        decision = _tracking(warehouse.connection_url()).compare_to_champion(
            model.name, metadata["version"], PROMOTION_METRIC, higher_is_better=False,
            champion_value_on_holdout=metadata.get("champion_value_on_holdout"))
        return AssetCheckResult(passed=decision.promoted, severity=AssetCheckSeverity.ERROR,
                                metadata={"reason": decision.reason, "challenger_version": decision.challenger_version,
                                          "champion_version": decision.champion_version})

    return beats_champion


def _latest_metadata(context: AssetExecutionContext | AssetCheckExecutionContext, key: AssetKey) -> dict[str, Any]:
    """The plain values of the latest materialization's metadata of `key`."""
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise RuntimeError(f"{key.to_user_string()} has never been materialized")
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def _champion_asset(model: ScoringModel):
    @asset(key=model.key("champion"), group_name=TRAINING_GROUP, deps=[model.key("challenger")], kinds={"mlflow"},
           description=f"Moves the `champion` alias of {model.name!r} to the challenger that passed the gate.")
    def champion(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        metadata = _latest_metadata(context, model.key("challenger"))
        decision = _tracking(warehouse.connection_url()).promote_if_better(
            model.name, metadata["version"], PROMOTION_METRIC, higher_is_better=False,
            champion_value_on_holdout=metadata.get("champion_value_on_holdout"))
        return MaterializeResult(metadata={"promoted": decision.promoted, "reason": decision.reason,
                                           "champion_version": decision.challenger_version if decision.promoted
                                           else decision.champion_version})

    return champion


def _scores_asset(model: ScoringModel):
    @asset(key=AssetKey([ML_PREFIX, model.scores_table]), group_name=SCORING_GROUP,
           deps=[*model.sources, model.key("champion")],
           kinds={"lightgbm", "postgres"}, metadata={"dagster/table_name": f"ml.{model.scores_table}"},
           description=f"Daily scores of the {model.name!r} champion in ml.{model.scores_table} (a rerun "
                       "replaces the day's rows).")
    def scores(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        url = warehouse.connection_url()
        tracking = _tracking(url)
        version = tracking.champion(model.name)
        if version is None:
            raise RuntimeError(f"no champion for {model.name!r} yet: run the `ml_training` job first")
        written, metadata = model.score(url, tracking.load_champion(model.name), version)
        return MaterializeResult(metadata={"dagster/row_count": written, "model_version": version.version,
                                           **metadata})

    return scores


@multi_asset(
    specs=[
        AssetSpec(AssetKey([ML_PREFIX, "revenue_forecast"]), group_name=TRAINING_GROUP,
                  deps=[*marts("fct_deals", "fct_pipeline_daily", "dim_rep", "int_kpi__as_of"),
                        AssetKey([ML_PREFIX, "deal_scores"])], kinds={"statsmodels", "prophet", "postgres"},
                  metadata={"dagster/table_name": "ml.revenue_forecast"},
                  description="Monthly bookings 12 months ahead for company, regions, teams and reps (model chosen "
                              "per series by backtest, reconciled, pipeline blended into the near months), with a "
                              "fiscal-quarter roll-up."),
        AssetSpec(AssetKey([ML_PREFIX, "forecast_accuracy"]), group_name=TRAINING_GROUP,
                  deps=[AssetKey([ML_PREFIX, "revenue_forecast"])], kinds={"postgres"},
                  metadata={"dagster/table_name": "ml.forecast_accuracy"},
                  description="Backtest accuracy (MASE, sMAPE, bias, 80/95% interval coverage) of every candidate "
                              "per series, with the selected one flagged."),
    ],
)
def revenue_forecast(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    import mlflow

    from ml.revenue import run_revenue_forecast

    url = warehouse.connection_url()
    tracking = _tracking(url)
    params = {"horizon_months": 12, "folds": 3, "reconciliation": "wls_struct"}
    with tracking.start_run("revenue_forecast", run_name=f"revenue-{context.run.run_id[:8]}", params=params):
        result = run_revenue_forecast(url, horizon=params["horizon_months"], folds=params["folds"])
        mlflow.log_metrics({f"mase_{level}": value for level, value in result.summary["mean_mase_by_level"].items()})
        mlflow.log_text(result.forecasts.to_csv(index=False), "revenue_forecast.csv")
        mlflow.log_text(result.accuracy.to_csv(index=False), "forecast_accuracy.csv")
    company = result.forecasts[(result.forecasts["node_id"] == "company")
                               & (result.forecasts["kind"] == "combined")
                               & (result.forecasts["period_grain"] == "quarter")]
    yield MaterializeResult(asset_key=AssetKey([ML_PREFIX, "revenue_forecast"]), metadata={
        "dagster/row_count": len(result.forecasts), **{k: MetadataValue.json(v) if isinstance(v, dict | list) else v
                                                        for k, v in result.summary.items()},
        "company_quarters": MetadataValue.md(_quarter_table(company)),
    })
    yield MaterializeResult(asset_key=AssetKey([ML_PREFIX, "forecast_accuracy"]),
                            metadata={"dagster/row_count": len(result.accuracy)})


def _quarter_table(quarters: Any) -> str:
    """Markdown table of the company's quarterly forecast with its 80% interval."""
    lines = ["| quarter | forecast | 80% low | 80% high |", "|---|---:|---:|---:|"]
    lines += [f"| {row.period_start:%Y-%m} | {row.yhat:,.0f} | {row.yhat_lower_80:,.0f} | {row.yhat_upper_80:,.0f} |"
              for row in quarters.sort_values("period_start").itertuples()]
    return "\n".join(lines)


training_assets = [factory(model) for model in SCORING_MODELS for factory in (_challenger_asset, _champion_asset)]
scoring_assets = [_scores_asset(model) for model in SCORING_MODELS]
ml_assets = [*training_assets, revenue_forecast, *scoring_assets]
ml_checks = [_gate_check(model) for model in SCORING_MODELS]
