"""Deal win and lead scoring pipelines on the shared built warehouse: point-in-time features, training with
time-based holdouts, idempotent score tables and determinism. Scores are written to a throwaway schema."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psycopg
import pytest
import requests

from ml import deal_win, lead_scoring
from ml.features import LeakageError, TrainingResult, assert_point_in_time, read_frame

REASON = re.compile(r"^\w+ [+-]\d+\.\d{2}$")
METRICS = ("auc", "pr_auc", "brier", "log_loss")
SEED = 7


@pytest.fixture(scope="module")
def url(built_warehouse: dict) -> str:
    return built_warehouse["url"]


@pytest.fixture(scope="module")
def deal_frame(url: str) -> pd.DataFrame:
    return deal_win.deal_snapshots(url)


@pytest.fixture(scope="module")
def lead_frame(url: str) -> pd.DataFrame:
    return lead_scoring.lead_snapshots(url)


@pytest.fixture(scope="module")
def deal_result(deal_frame: pd.DataFrame) -> TrainingResult:
    return deal_win.train_deal_win(deal_frame, seed=SEED)


@pytest.fixture(scope="module")
def lead_result(lead_frame: pd.DataFrame) -> lead_scoring.LeadScoringResult:
    return lead_scoring.train_lead_scoring(lead_frame, seed=SEED)


@pytest.fixture
def schema(url: str) -> Iterator[str]:
    name = f"ml_test_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{name}" cascade')


def _assert_finite(metrics: dict) -> None:
    assert metrics["n"] > 0
    for name in METRICS:
        assert metrics[name] is not None and math.isfinite(metrics[name]), (name, metrics)


@pytest.mark.parametrize("pipeline", [deal_win, lead_scoring])
def test_every_feature_is_dated_at_or_before_its_snapshot(pipeline, deal_frame, lead_frame) -> None:
    frame = deal_frame if pipeline is deal_win else lead_frame
    assert len(frame) > 100
    snapshot = frame["snapshot_at"]
    assert (frame["features_as_of"] <= snapshot).all()
    for column in set(pipeline.FEATURE_TIMESTAMPS.values()):
        assert (frame[column].isna() | (frame[column] <= snapshot)).all(), column
    assert_point_in_time(frame)
    assert_point_in_time(frame, pipeline.FEATURE_TIMESTAMPS)


def test_deal_snapshots_see_open_deals_and_only_their_past(url: str, deal_frame: pd.DataFrame) -> None:
    forbidden = {"amount", "close_date", "closed_at", "cycle_days", "is_won", "is_lost", "competitor_name",
                 "loss_reason", "discount_pct", "margin_amount", "margin_pct", "activities", "stage_id",
                 "crm_probability"}
    assert not forbidden & set(deal_win.FEATURES)
    deals = read_frame(url, "select deal_id, closed_at, is_won from marts.fct_deals").set_index("deal_id")
    joined = deal_frame.join(deals, on="deal_id")
    assert (joined["closed_at"].isna() | (joined["closed_at"] > joined["snapshot_at"])).all()
    labelled = joined[joined["won"].notna()]
    assert (labelled["won"] == labelled["is_won"].astype(int)).all()
    # recompute stage and activity features of a sample from the raw marts
    transitions = read_frame(url, "select deal_id, stage_id, entered_at from marts.fct_deal_stage_transitions")
    activities = read_frame(url, "select deal_id, activity_type, occurred_at from marts.fct_activities")
    for row in deal_frame.sample(40, random_state=0).itertuples():
        seen = transitions[(transitions.deal_id == row.deal_id) & (transitions.entered_at <= row.snapshot_at)]
        assert row.stage == seen.sort_values("entered_at")["stage_id"].iloc[-1]
        assert row.stage_entries == len(seen)
        done = activities[(activities.deal_id == row.deal_id) & (activities.occurred_at <= row.snapshot_at)]
        recent = done[done.occurred_at >= row.snapshot_at - pd.Timedelta(days=14)]
        assert row.calls == (done.activity_type == "call").sum()
        assert row.meetings_14d == (recent.activity_type == "meeting").sum()


def test_a_feature_dated_after_its_snapshot_fails_the_pipeline(deal_frame: pd.DataFrame) -> None:
    leaky = deal_frame.copy()
    row = leaky.index[leaky["last_activity_at"].notna()][0]
    leaky.loc[row, "last_activity_at"] = leaky.loc[row, "snapshot_at"] + pd.Timedelta(hours=1)
    assert_point_in_time(leaky)  # the row-level maximum was not touched, the per-feature check must catch it
    with pytest.raises(LeakageError, match=r"last_activity_at \(behind feature\(s\) calls.*1 row") as error:
        assert_point_in_time(leaky, deal_win.FEATURE_TIMESTAMPS, id_columns=["deal_id"])
    assert str(leaky.loc[row, "deal_id"]) in str(error.value)
    with pytest.raises(LeakageError, match="last_activity_at"):
        deal_win.train_deal_win(leaky)
    leaky = deal_frame.copy()
    leaky.loc[row, "features_as_of"] = leaky.loc[row, "snapshot_at"] + pd.Timedelta(seconds=1)
    with pytest.raises(LeakageError, match="features_as_of"):
        deal_win.train_deal_win(leaky)


def test_deal_model_is_measured_against_the_crm_baseline_on_the_latest_snapshots(
        deal_result: TrainingResult, deal_frame: pd.DataFrame) -> None:
    _assert_finite(deal_result.metrics["model"])
    _assert_finite(deal_result.metrics["baseline"])
    holdout = deal_result.holdout
    assert len(holdout) == deal_result.rows["test"] > 0 and deal_result.calibration == "sigmoid"
    labelled = deal_frame[deal_frame["won"].notna()]
    assert (labelled["snapshot_date"] >= holdout["snapshot_date"].min()).sum() == len(holdout)  # the latest ones
    assert re.fullmatch(r"deals:snapshot_date=\d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d;rows=\d+;as_of=\d{4}-\d\d-\d\d",
                        deal_result.holdout_id)
    assert deal_result.evaluate(deal_result.model) == deal_result.metrics["model"]
    flat = deal_result.flat_metrics()
    assert flat["auc"] == deal_result.metrics["model"]["auc"]
    assert flat["baseline_auc"] == deal_result.metrics["baseline"]["auc"]
    print(f"deal win AUC {flat['auc']:.3f} vs CRM stage probability {flat['baseline_auc']:.3f} "
          f"on {deal_result.holdout_id}")


def test_deal_scores_are_written_once_per_deal_and_day(url: str, deal_result: TrainingResult, schema: str) -> None:
    scores = deal_win.score_open_deals(url, deal_result.model)
    open_deals = read_frame(url, "select deal_id, crm_probability::float8 from marts.fct_deals where is_open")
    assert set(scores["deal_id"]) == set(open_deals["deal_id"])
    assert scores["win_probability"].between(0, 1).all()
    current = open_deals.set_index("deal_id")["crm_probability"]
    assert np.allclose(scores["crm_probability"], scores["deal_id"].map(current))
    assert all(len(reasons) == 3 and all(REASON.match(r) for r in reasons) for reasons in scores["top_reasons"])
    deal_win.write_deal_scores(url, scores, "1", schema=schema)
    deal_win.write_deal_scores(url, scores, "2", schema=schema)
    stored = read_frame(url, f'select * from "{schema}".deal_scores')
    assert len(stored) == len(scores) and stored["deal_id"].is_unique
    assert set(stored["model_version"]) == {"2"}
    assert set(stored["as_of_date"]) == set(scores["as_of_date"])


def test_lead_model_tiers_and_oracle(url: str, built_warehouse: dict, lead_result, lead_frame, schema) -> None:
    _assert_finite(lead_result.metrics["model"])
    b = lead_result.base_rate
    labelled = lead_frame[lead_frame["is_sql"].notna()]
    before_holdout = labelled["lead_date"] < lead_result.holdout["lead_date"].min()
    assert b == pytest.approx(labelled.loc[before_holdout, "is_sql"].mean())
    assert lead_result.tiers == {"hot": pytest.approx(min(2 * b, (1 + b) / 2)), "warm": pytest.approx(b / 2)}
    assert sum(tier["leads"] for tier in lead_result.tier_holdout.values()) == len(lead_result.holdout)

    response = requests.get(f"{built_warehouse['simulator'].url}/_simulator/oracle/leads", timeout=30)
    oracle = lead_scoring.oracle_metrics(lead_result, response.json()["results"])
    assert oracle["n"] == len(lead_result.holdout)
    _assert_finite(oracle["oracle"])
    assert oracle["model"] == lead_result.metrics["model"]
    print(f"lead AUC {oracle['model']['auc']:.3f} vs oracle {oracle['oracle']['auc']:.3f} "
          f"(label agreement {oracle['label_agreement']:.3f}) on {lead_result.holdout_id}")

    scores = lead_scoring.score_all_leads(url, lead_result.model, lead_result.tiers)
    assert len(scores) == len(lead_frame)
    expected = np.where(scores["score"] >= lead_result.tiers["hot"], "hot",
                        np.where(scores["score"] >= lead_result.tiers["warm"], "warm", "cold"))
    assert (scores["tier"] == expected).all()
    for version in ("1", "2"):
        lead_scoring.write_lead_scores(url, scores, version, schema=schema)
    stored = read_frame(url, f'select lead_id, tier, model_version from "{schema}".lead_scores')
    assert len(stored) == len(scores) and stored["lead_id"].is_unique and set(stored["model_version"]) == {"2"}


def test_same_seed_same_predictions(deal_frame, lead_frame, deal_result, lead_result) -> None:
    again = deal_win.train_deal_win(deal_frame, seed=SEED)
    assert np.array_equal(again.model.predict_proba(deal_result.holdout),
                          deal_result.model.predict_proba(deal_result.holdout))
    assert again.holdout_id == deal_result.holdout_id
    again = lead_scoring.train_lead_scoring(lead_frame, seed=SEED)
    assert np.array_equal(again.model.predict_proba(lead_result.holdout),
                          lead_result.model.predict_proba(lead_result.holdout))
