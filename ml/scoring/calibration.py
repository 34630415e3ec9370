"""Probability calibration: Platt (sigmoid) on small calibration sets, where isotonic regression overfits its
step function, and isotonic from `ISOTONIC_MIN_ROWS` rows, where its flexibility pays off."""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

ISOTONIC_MIN_ROWS = 1000

CalibrationMethod = Literal["sigmoid", "isotonic"]


def calibration_method(n_rows: int) -> CalibrationMethod:
    return "isotonic" if n_rows >= ISOTONIC_MIN_ROWS else "sigmoid"


def calibrate(model: object, X_cal: object, y_cal: np.ndarray,
              method: CalibrationMethod | None = None) -> CalibratedClassifierCV:
    """Calibrate an already-fitted classifier on a held-out slice it was not trained on. The model stays
    frozen, so one calibrator is fitted on all of `X_cal` (sklearn >= 1.6; `cv="prefit"` is gone)."""
    chosen = method or calibration_method(len(y_cal))
    return CalibratedClassifierCV(FrozenEstimator(model), method=chosen).fit(X_cal, y_cal)


class _GivenProbability(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose only feature is an already-computed probability, so out-of-fold predictions can be
    calibrated with exactly the calibrators `calibrate` uses."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _GivenProbability:
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=float)[:, 0] >= 0.5).astype(int)


def cross_fitted_calibration(p: np.ndarray, y: np.ndarray, fold_ids: np.ndarray,
                             method: CalibrationMethod) -> np.ndarray:
    """Calibrated versions of out-of-fold probabilities, each fold's calibrator fitted on the other folds, so
    'does calibration help?' is judged on rows the calibrator never saw."""
    P = np.asarray(p, dtype=float).reshape(-1, 1)
    y = np.asarray(y, dtype=int)
    identity = _GivenProbability().fit(P, y)
    calibrated = np.empty(len(y))
    for fold in np.unique(fold_ids):
        held_out = fold_ids == fold
        calibrator = calibrate(identity, P[~held_out], y[~held_out], method)
        calibrated[held_out] = calibrator.predict_proba(P[held_out])[:, 1]
    return calibrated
