"""Forecast accuracy metrics used to compare candidates on backtest folds.

Conventions: error = forecast - actual (positive bias means over-forecasting); sMAPE is on the 0-200 scale
with 0/0 counted as a perfect 0 so that zero-sales periods do not produce NaN."""

from __future__ import annotations

import numpy as np


def mase_scale(train: np.ndarray, season_length: int) -> float:
    """In-sample MAE of the seasonal naive forecast, the MASE denominator (Hyndman & Koehler 2006).

    Falls back to lag-1 naive when the history holds fewer than two seasons (too few seasonal differences to be
    a stable yardstick), and to 1.0 for a constant history, where MASE then reads as plain MAE."""
    first = season_length if len(train) >= 2 * season_length else 1
    for lag in dict.fromkeys((first, 1)):
        scale = float(np.mean(np.abs(train[lag:] - train[:-lag]))) if len(train) > lag else 0.0
        if scale > 0:
            return scale
    return 1.0


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute error relative to the in-sample naive error: below 1 beats the naive yardstick."""
    return float(np.mean(np.abs(forecast - actual)) / scale)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a period where both actual and forecast are zero scores 0."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(forecast - actual), denominator, out=np.zeros_like(denominator, dtype=float),
                      where=denominator > 0)
    return float(100 * np.mean(ratio))


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean error over mean absolute actual (NaN when all actuals are zero): the share the forecast runs high."""
    level = float(np.mean(np.abs(actual)))
    return float(np.mean(forecast - actual)) / level if level > 0 else float("nan")


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper]; a calibrated 80% interval scores about 0.8."""
    return float(np.mean((actual >= lower) & (actual <= upper)))
