"""Blend a second forecast into the statistical one for the nearest horizon steps (e.g. a pipeline-based
estimate, strong for next month and weak a year out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ml.forecasting.reconcile import INTERVAL_COLUMNS


def blend(base: pd.DataFrame, other: pd.DataFrame, weights: Sequence[float]) -> pd.DataFrame:
    """`base` with step h (1-based, in ds order) replaced by (1 - w_h) * base + w_h * other for h <= len(weights);
    later steps keep `base`. Both frames need ds and yhat with the same dates. Interval columns present in both
    are blended too; those only in `base` are shifted with yhat, keeping base's width."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or ((w < 0) | (w > 1)).any():
        raise ValueError("weights must be a list of numbers between 0 and 1, one per near horizon step")
    base = base.sort_values("ds").reset_index(drop=True)
    other = other.sort_values("ds").reset_index(drop=True)
    if not base["ds"].equals(other["ds"]):
        raise ValueError("the two forecasts must cover the same ds values")
    near = min(len(w), len(base))
    step_weight = np.concatenate([w[:near], np.zeros(len(base) - near)])
    blended = base.copy()
    shift = step_weight * (other["yhat"].to_numpy() - base["yhat"].to_numpy())
    for column in ["yhat", *INTERVAL_COLUMNS]:
        if column in other.columns and column in base.columns:
            blended[column] = base[column] + step_weight * (other[column] - base[column])
        elif column in base.columns:
            blended[column] = base[column] + shift
    return blended
