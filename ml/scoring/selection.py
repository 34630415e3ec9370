"""Choosing a model for an analyst's table by stratified K-fold cross-validation.

On small and mid-size tables a regularised logistic regression often beats gradient boosting, so both compete:
`logistic` (median imputation with missing-value indicators, standardisation, one-hot categories, C tuned by an
inner 3-fold search on log loss), `lightgbm` (the small-data defaults) and `lightgbm_regularised` (smaller,
more constrained trees). Each LightGBM fold model stops early on a stratified 20% of its training fold; the
final model uses the median best number of trees. The candidate with the lowest mean out-of-fold log loss wins
(log loss, because a score is read as a probability; AUC is reported alongside) and is refitted on all rows.
Calibration (`calibration_method` of the row count) is applied when calibrating the winner's out-of-fold
probabilities, cross-fitted over the same folds, lowers log loss by at least `CALIBRATION_MIN_GAIN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml.scoring.calibration import calibration_method, cross_fitted_calibration
from ml.scoring.lgbm import lgbm_classifier, train_lgbm
from ml.scoring.metrics import binary_metrics

SELECTION_METRIC = "log_loss"
EARLY_STOPPING_FRACTION = 0.2
LOGISTIC_CS = tuple(np.logspace(-3, 2, 11))
CALIBRATION_MIN_GAIN = 0.002
REGULARISED_LGBM = {"num_leaves": 7, "min_child_samples": 40, "reg_lambda": 5.0, "colsample_bytree": 0.8,
                    "subsample": 0.8, "subsample_freq": 1}


class Candidate(Protocol):
    name: str

    def fit_fold(self, X: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[ClassifierMixin, dict[str, Any]]:
        """A model fitted on one training fold, and what the final refit needs to know about it."""

    def final(self, fold_info: list[dict[str, Any]], seed: int) -> ClassifierMixin:
        """The unfitted estimator to refit on all rows."""


@dataclass(frozen=True)
class LogisticCandidate:
    numeric: list[str]
    categorical: list[str]
    name: str = "logistic"

    def final(self, fold_info: list[dict[str, Any]], seed: int) -> Pipeline:
        """C is tuned afresh by the model's inner cross-validation on whatever rows it is fitted to."""
        columns = ColumnTransformer([
            ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                                      StandardScaler()), self.numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), self.categorical),
        ])
        model = LogisticRegressionCV(Cs=LOGISTIC_CS, l1_ratios=(0.0,), scoring="neg_log_loss", max_iter=2000,
                                     cv=StratifiedKFold(3, shuffle=True, random_state=seed),
                                     use_legacy_attributes=False)
        return Pipeline([("columns", columns), ("model", model)])

    def fit_fold(self, X: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[Pipeline, dict[str, Any]]:
        fitted = self.final([], seed).fit(X, y)
        return fitted, {"C": float(fitted[-1].C_)}


@dataclass(frozen=True)
class LightGBMCandidate:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def fit_fold(self, X: pd.DataFrame, y: np.ndarray, seed: int) -> tuple[ClassifierMixin, dict[str, Any]]:
        X_fit, X_stop, y_fit, y_stop = train_test_split(X, y, test_size=EARLY_STOPPING_FRACTION, stratify=y,
                                                        random_state=seed)
        model = train_lgbm(X_fit, y_fit, X_stop, y_stop, params=dict(self.params), seed=seed)
        return model, {"best_iteration": int(model.best_iteration_)}

    def final(self, fold_info: list[dict[str, Any]], seed: int) -> ClassifierMixin:
        trees = int(np.median([info["best_iteration"] for info in fold_info]))
        return lgbm_classifier(dict(self.params), seed=seed, n_estimators=max(trees, 1))


def default_candidates(numeric: list[str], categorical: list[str]) -> list[Candidate]:
    return [LogisticCandidate(numeric, categorical), LightGBMCandidate("lightgbm"),
            LightGBMCandidate("lightgbm_regularised", REGULARISED_LGBM)]


@dataclass
class CandidateResult:
    fold_metrics: list[dict[str, Any]]
    fold_info: list[dict[str, Any]]
    oof: np.ndarray

    def mean(self) -> dict[str, float | None]:
        keys = ("log_loss", "auc", "pr_auc", "brier")
        per_key = {key: [fold[key] for fold in self.fold_metrics if fold[key] is not None] for key in keys}
        summary = {key: float(np.mean(values)) if values else None for key, values in per_key.items()}
        summary[f"{SELECTION_METRIC}_std"] = float(np.std([fold[SELECTION_METRIC] for fold in self.fold_metrics]))
        return summary


def cross_validate(candidates: list[Candidate], X: pd.DataFrame, y: np.ndarray, folds: int,
                   seed: int) -> tuple[dict[str, CandidateResult], np.ndarray]:
    """Out-of-fold results per candidate over the same stratified folds, and each row's fold number."""
    fold_ids = np.empty(len(y), dtype=int)
    results = {candidate.name: CandidateResult([], [], np.empty(len(y))) for candidate in candidates}
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(X, y)):
        fold_ids[test] = fold
        for candidate in candidates:
            model, info = candidate.fit_fold(X.iloc[train], y[train], seed)
            p = model.predict_proba(X.iloc[test])[:, 1]
            result = results[candidate.name]
            result.oof[test] = p
            result.fold_metrics.append(binary_metrics(y[test], p))
            result.fold_info.append(info)
    return results, fold_ids


def select_and_fit(candidates: list[Candidate], X: pd.DataFrame, y: np.ndarray, folds: int,
                   seed: int) -> tuple[ClassifierMixin, dict[str, Any]]:
    """The winning candidate refitted on all rows (calibrated when that helps) and a report of the choice.
    Folds are capped at the minority class count, so every fold holds both classes."""
    folds = min(folds, int(np.bincount(y).min()))
    results, fold_ids = cross_validate(candidates, X, y, folds, seed)
    scores = {name: result.mean() for name, result in results.items()}
    selected = min(candidates, key=lambda candidate: scores[candidate.name][SELECTION_METRIC])
    winner = results[selected.name]
    method = calibration_method(len(y))
    raw_loss = binary_metrics(y, winner.oof)["log_loss"]
    calibrated_loss = binary_metrics(y, cross_fitted_calibration(winner.oof, y, fold_ids, method))["log_loss"]
    apply = raw_loss - calibrated_loss >= CALIBRATION_MIN_GAIN
    estimator = selected.final(winner.fold_info, seed)
    if apply:
        estimator = CalibratedClassifierCV(estimator, method=method, ensemble=False,
                                           cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    report = {
        "metric": SELECTION_METRIC, "folds": folds, "seed": seed, "candidates": scores, "selected": selected.name,
        "selected_fold_info": winner.fold_info,
        "calibration": {"method": method, "applied": bool(apply), "oof_log_loss": raw_loss,
                        "oof_log_loss_calibrated": calibrated_loss, "min_gain": CALIBRATION_MIN_GAIN},
    }
    return estimator.fit(X, y), report
