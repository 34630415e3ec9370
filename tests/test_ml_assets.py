"""The ML assets on the shared built warehouse: weekly training (challenger -> gate -> champion, revenue
forecast) and the daily scores materialize for real (MLflow in the warehouse's `mlflow` schema), and the
blocking gate refuses a worse challenger so the champion and its scores stay."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.assets.ml import SCORING_MODELS, ml_assets, ml_checks, scoring_assets, training_assets
from orchestration.resources import WarehouseResource


@pytest.fixture(scope="module")
def trained(built_warehouse):
    """The weekly training job's assets materialized once: the first challengers become champions."""
    url = built_warehouse["url"]
    with DagsterInstance.ephemeral() as instance:
        result = materialize([*ml_assets, *ml_checks], selection=[*(a.key for a in training_assets),
                                                      AssetKey(["ml", "revenue_forecast"]),
                                                      AssetKey(["ml", "forecast_accuracy"])],
                             instance=instance, resources={"warehouse": WarehouseResource(url=url)})
        assert result.success
        yield {"url": url, "instance": instance, "result": result}


def test_training_promotes_first_champions_and_forecasts(trained):
    url, result = trained["url"], trained["result"]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {AssetKey(["ml", "deal_win_champion"]), AssetKey(["ml", "lead_scoring_champion"]),
            AssetKey(["ml", "revenue_forecast"])} <= materialized
    with psycopg.connect(url) as conn:
        levels = dict(conn.execute("""
            select level, count(distinct node_id) from ml.revenue_forecast where kind = 'reconciled'
            group by level""").fetchall())
        assert levels["company"] == 1 and levels["rep"] >= levels["team"] >= levels["region"] >= 1
        # reconciled reps add up to the company, month by month
        gap = conn.execute("""
            select max(abs(company.yhat - reps.total)) from ml.revenue_forecast as company
            join (select period_start, sum(yhat) as total from ml.revenue_forecast
                  where kind = 'reconciled' and level = 'rep' and period_grain = 'month' group by 1) as reps
                using (period_start)
            where company.kind = 'reconciled' and company.level = 'company' and company.period_grain = 'month'
            """).fetchone()[0]
        assert gap < 1e-3 * conn.execute(
            "select max(yhat) from ml.revenue_forecast where level = 'company'").fetchone()[0]
        horizon = conn.execute("""select count(*) from ml.revenue_forecast
            where kind = 'reconciled' and level = 'company' and period_grain = 'month'""").fetchone()[0]
        assert horizon == 12
        assert conn.execute("select count(*) from ml.forecast_accuracy where selected").fetchone()[0] == sum(
            levels.values())
        assert conn.execute("select count(*) from mlflow.registered_models").fetchone()[0] == 2


def test_daily_scores_use_the_champion(trained):
    url = trained["url"]
    result = materialize([*ml_assets], selection=[a.key for a in scoring_assets], instance=trained["instance"],
                         resources={"warehouse": WarehouseResource(url=url)})
    assert result.success
    with psycopg.connect(url) as conn:
        deals = conn.execute("select count(*), min(model_version), bool_and(win_probability between 0 and 1) "
                             "from ml.deal_scores").fetchone()
        leads = conn.execute("select count(*), count(distinct tier) from ml.lead_scores").fetchone()
    assert deals[0] > 0 and deals[1] == "1" and deals[2]
    assert leads[0] > 0 and leads[1] >= 1


def test_gate_refuses_a_worse_challenger(trained):
    """A challenger that predicts 0.5 for every deal is worse than the champion on the same holdout: the
    blocking check fails, the champion asset is skipped and the alias stays on version 1."""
    from sklearn.dummy import DummyClassifier

    from ml import tracking
    from orchestration.assets import ml as ml_module

    deal_model = next(model for model in SCORING_MODELS if model.name == "deal_win")

    def worse(url: str):
        result, extra, tags = deal_model.train(url)
        coin = DummyClassifier(strategy="uniform").fit(result.holdout[result.features], result.holdout[result.label])
        return dataclasses.replace(result, model=coin, metrics={"model": result.evaluate(coin)}), extra, tags

    worse_model = dataclasses.replace(deal_model, train=worse)
    challenger = ml_module._challenger_asset(worse_model)
    gate = ml_module._gate_check(worse_model)
    champion = ml_module._champion_asset(worse_model)
    result = materialize([challenger, gate, champion], instance=trained["instance"], raise_on_error=False,
                         resources={"warehouse": WarehouseResource(url=trained["url"])})
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["beats_champion"].passed
    assert "refused" in evaluations["beats_champion"].metadata["reason"].value
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert challenger.key in materialized and champion.key not in materialized
    tracking.configure(trained["url"])
    assert str(tracking.champion("deal_win").version) == "1"


def test_ml_checks_are_blocking():
    assert all(spec.blocking for check in ml_checks for spec in check.check_specs)
