"""Model plumbing shared by the warehouse scoring pipelines: a time split that never lets one entity sit on both
sides of a cut, LightGBM with early stopping and calibration from the `ml.scoring` toolkit, and per-row reasons.

The fitted model is an sklearn Pipeline `FeatureFrame -> CalibratedClassifierCV(LightGBM)`: it takes the raw
feature frame (extra columns are ignored), so any registered version can score any later frame or holdout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from ml.features.pit import assert_features_point_in_time
from ml.features.result import TrainingResult
from ml.scoring.calibration import calibrate
from ml.scoring.explain import format_reason, top_reasons
from ml.scoring.lgbm import train_lgbm
from ml.scoring.metrics import binary_metrics
from ml.scoring.splits import TimeSplit, time_split

REASONS_PER_ROW = 3


class FeatureFrame(TransformerMixin, BaseEstimator):
    """The model's columns in a fixed order: numeric ones as float, categorical ones as pandas `category`, which
    LightGBM treats as categorical features (mapping them to its training categories; unseen ones are missing)."""

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = ()) -> None:
        self.numeric = numeric
        self.categorical = categorical

    def fit(self, X: pd.DataFrame, y: object = None) -> FeatureFrame:
        self.feature_names_out_ = [*self.numeric, *self.categorical]
        return self

    def get_feature_names_out(self, input_features: object = None) -> list[str]:
        return list(self.feature_names_out_)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        absent = [name for name in self.feature_names_out_ if name not in X.columns]
        if absent:
            raise KeyError(f"feature frame lacks column(s) {absent} the model was trained with")
        numeric = {name: pd.to_numeric(X[name], errors="coerce").astype(float) for name in self.numeric}
        categorical = {name: X[name].astype("string").astype("category") for name in self.categorical}
        return pd.DataFrame({**numeric, **categorical}, index=X.index)[self.feature_names_out_]


def purged_time_split(frame: pd.DataFrame, date_column: str, group_column: str | None = None, *,
                      valid_fraction: float = 0.15, test_fraction: float = 0.15) -> TimeSplit:
    """The toolkit's time split, then rows of a group (a deal) that reappears in a later part are dropped from the
    earlier one: a deal's snapshots share its outcome, so training on its early snapshots and testing on its late
    ones would let the model recognise the deal instead of predicting it."""
    split = time_split(frame, date_column, valid_fraction=valid_fraction, test_fraction=test_fraction)
    if group_column is None:
        return split
    in_test = set(split.test[group_column])
    later = in_test | set(split.valid[group_column])
    return split._replace(train=split.train[~split.train[group_column].isin(later)],
                          valid=split.valid[~split.valid[group_column].isin(in_test)])


def _labels(part: pd.DataFrame, label: str, name: str) -> np.ndarray:
    y = part[label].to_numpy(dtype=int)
    if len(y) == 0 or y.min() == y.max():
        raise ValueError(f"the {name} part has {len(y)} row(s) and {len(set(y))} class(es); training needs both "
                         f"classes in train, validation and test (more history, or other split fractions)")
    return y


def fit_calibrated_lgbm(split: TimeSplit, *, numeric: Sequence[str], categorical: Sequence[str], label: str,
                        seed: int = 0, params: dict[str, Any] | None = None) -> Pipeline:
    """LightGBM on the train part, stopped early on the validation part, then calibrated on the validation part
    (sigmoid or isotonic by its size, the toolkit's rule). The test part is left untouched for the holdout."""
    features = FeatureFrame(list(numeric), list(categorical)).fit(split.train)
    y_train, y_valid = _labels(split.train, label, "train"), _labels(split.valid, label, "validation")
    _labels(split.test, label, "test")
    X_valid = features.transform(split.valid)
    booster = train_lgbm(features.transform(split.train), y_train, X_valid, y_valid, params=params, seed=seed)
    return Pipeline([("features", features), ("model", calibrate(booster, X_valid, y_valid))])


def lgbm_of(model: Any) -> LGBMClassifier:
    """The LightGBM classifier inside a pipeline / calibrated / frozen wrapper (for its `pred_contrib`)."""
    if isinstance(model, Pipeline):
        return lgbm_of(model[-1])
    if isinstance(model, CalibratedClassifierCV):
        return lgbm_of(model.calibrated_classifiers_[0].estimator)
    if isinstance(model, FrozenEstimator):
        return lgbm_of(model.estimator)
    if isinstance(model, LGBMClassifier):
        return model
    raise TypeError(f"no LightGBM classifier inside {type(model).__name__}")


def reasons(model: Pipeline, frame: pd.DataFrame, k: int = REASONS_PER_ROW) -> list[list[str]]:
    """Per row, the `k` features moving its (uncalibrated, log-odds) score most, as 'days_in_stage +0.42'."""
    if frame.empty:
        return []
    prepared = model[:-1].transform(frame)
    return [[format_reason(name, value) for name, value in row]
            for row in top_reasons(lgbm_of(model), prepared, list(prepared.columns), k=k)]


def probabilities(model: Any, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(frame))[:, 1] if len(frame) else np.empty(0)


def train_on_snapshots(snapshots: pd.DataFrame, *, label: str, date_column: str, numeric: Sequence[str],
                       categorical: Sequence[str], feature_timestamps: Mapping[str, str], id_columns: Sequence[str],
                       holdout_name: str, group_column: str | None = None, references: Mapping[str, str] | None = None,
                       seed: int = 0, params: dict[str, Any] | None = None, valid_fraction: float = 0.15,
                       test_fraction: float = 0.15) -> TrainingResult:
    """The training recipe both pipelines share: refuse rows that see the future, keep labelled rows, split by
    `date_column` (purging `group_column`), fit and calibrate, and measure the model and each reference
    probability column (`references`: name -> column, e.g. the CRM stage probability) on the holdout."""
    assert_features_point_in_time(snapshots, feature_timestamps, id_columns)
    as_of = single_as_of(snapshots)
    labelled = snapshots[snapshots[label].notna()]
    split = purged_time_split(labelled, date_column, group_column, valid_fraction=valid_fraction,
                              test_fraction=test_fraction)
    model = fit_calibrated_lgbm(split, numeric=numeric, categorical=categorical, label=label, seed=seed,
                                params=params)
    holdout = split.test
    y = holdout[label].to_numpy(dtype=int)
    metrics = {"model": binary_metrics(y, probabilities(model, holdout)),
               **{name: binary_metrics(y, holdout[column]) for name, column in (references or {}).items()}}
    return TrainingResult(
        model=model, metrics=metrics, holdout_id=holdout_id(holdout_name, holdout[date_column], as_of),
        holdout=holdout, label=label, features=[*numeric, *categorical], categorical=list(categorical),
        rows={"train": len(split.train), "valid": len(split.valid), "test": len(holdout),
              "unlabelled_left_out": len(snapshots) - len(labelled),
              "purged": len(labelled) - len(split.train) - len(split.valid) - len(holdout)},
        calibration=model[-1].method, seed=seed)


def single_as_of(frame: pd.DataFrame) -> dt.date:
    dates = frame["as_of_date"].unique()
    if len(dates) != 1:
        raise ValueError(f"training rows must come from one as_of date, got {sorted(dates)[:5]}")
    return dates[0]


def holdout_id(name: str, dates: pd.Series, as_of: dt.date) -> str:
    """E.g. 'deals:snapshot_date=2026-03-02..2026-08-17;rows=1234;as_of=2026-11-20': equal for equal holdouts."""
    return f"{name}={dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d};rows={len(dates)};as_of={as_of:%Y-%m-%d}"
