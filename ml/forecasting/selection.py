"""Rolling-origin model selection and the final forecast.

Every candidate is refitted at K expanding-window origins on the training history and scored on the next H
actuals; the lowest mean MASE wins (ties: lower sMAPE, then the fixed candidate order, so selection is
deterministic). Nothing is preferred by default: published evidence (M4, M5) says simple methods are hard to
beat on short monthly sales, so each series earns its model on its own history."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.forecasting import metrics
from ml.forecasting.candidates import (
    ALL_CANDIDATES,
    COMBO,
    COMBO_MEMBERS,
    CandidateError,
    History,
    PointInterval,
    combine,
    fit_predict,
)
from ml.forecasting.series import MIN_TRAIN, ForecastInputError, season_length, validate_series

METRIC_COLUMNS = ["candidate", "mase", "smape", "bias", "coverage_80", "coverage_95", "folds"]


class ForecastError(RuntimeError):
    """No candidate could forecast the series (each one's reason is in the message)."""


@dataclass(frozen=True)
class BacktestResult:
    """Backtest scores per surviving candidate (best first), the selection and why others were dropped."""

    metrics: pd.DataFrame  # METRIC_COLUMNS; mase averaged over folds, the others pooled over all fold points
    selected: str
    weights: dict[str, float]  # base model -> weight in the selected forecast (one model: weight 1.0)
    dropped: dict[str, str]  # candidate -> reason
    origins: list[pd.Timestamp]  # last training date of each fold
    season_length: int


def resolve_candidates(candidates: Sequence[str] | None) -> list[str]:
    """The requested candidate names in canonical order; unknown names are an input error."""
    if candidates is None:
        return list(ALL_CANDIDATES)
    unknown = sorted(set(candidates) - set(ALL_CANDIDATES))
    if unknown:
        raise ForecastInputError(f"unknown candidate(s) {', '.join(unknown)}; available: {', '.join(ALL_CANDIDATES)}")
    if not candidates:
        raise ForecastInputError(f"no candidates given; available: {', '.join(ALL_CANDIDATES)}")
    return [name for name in ALL_CANDIDATES if name in candidates]


def training_lengths(n: int, horizon: int, folds: int, season: int) -> list[int]:
    """Training-window lengths of the expanding-window origins, oldest first.

    Origins are spaced as widely as possible (up to H apart, so test windows need not overlap) while keeping the
    oldest training window at two seasons when the series allows it, so that seasonal models are assessed in
    the seasonal form they will have for the final fit."""
    if folds == 1:
        return [n - horizon]
    preferred_train = max(MIN_TRAIN, 2 * season)
    step = int(np.clip((n - horizon - preferred_train) // (folds - 1), 1, horizon))
    return [n - horizon - step * (folds - 1 - k) for k in range(folds)]


def _weights(name: str, survivors: Sequence[str]) -> dict[str, float]:
    """Base-model weights of a candidate: itself, or the surviving combination members in equal parts."""
    members = [m for m in COMBO_MEMBERS if m in survivors] if name == COMBO else [name]
    return {member: 1 / len(members) for member in members}


def _score(name: str, forecasts: list[PointInterval], actuals: list[np.ndarray], scales: list[float]) -> dict:
    actual = np.concatenate(actuals)
    pooled = {key: np.concatenate([getattr(f, key) for f in forecasts])
              for key in ("mean", "lower_80", "upper_80", "lower_95", "upper_95")}
    return {
        "candidate": name,
        "mase": float(np.mean([metrics.mase(a, f.mean, s) for a, f, s in zip(actuals, forecasts, scales,
                                                                                strict=True)])),
        "smape": metrics.smape(actual, pooled["mean"]),
        "bias": metrics.bias(actual, pooled["mean"]),
        "coverage_80": metrics.coverage(actual, pooled["lower_80"], pooled["upper_80"]),
        "coverage_95": metrics.coverage(actual, pooled["lower_95"], pooled["upper_95"]),
        "folds": len(forecasts),
    }


def backtest(series: pd.Series, horizon: int, folds: int = 3, freq: str = "MS",
             candidates: Sequence[str] | None = None) -> BacktestResult:
    """Score each candidate on `folds` rolling origins of `series` (validated first) and pick the best.

    A candidate that fails or yields non-finite values at any origin is dropped with its reason; the combination
    ("combo", equal-weight mean of ets/theta/sarima) uses the members that survived all origins, at least two."""
    y = validate_series(series, freq, horizon, folds)
    return _backtest(y, horizon, folds, season_length(freq), resolve_candidates(candidates))


def _nothing_left(what: str, dropped: dict[str, str]) -> ForecastError:
    reasons = "; ".join(f"{name}: {reason}" for name, reason in dropped.items())
    return ForecastError(f"no candidate could forecast {what}: {reasons}")


def _backtest(y: pd.Series, horizon: int, folds: int, season: int, names: list[str]) -> BacktestResult:
    values, dates = y.to_numpy(), y.index
    lengths = training_lengths(len(y), horizon, folds, season)
    base = [name for name in names if name != COMBO]
    forecasts: dict[str, list[PointInterval]] = {name: [] for name in base}
    dropped: dict[str, str] = {}
    for fold, length in enumerate(lengths, start=1):
        history = History(values[:length], dates[:length], season)
        for name in [name for name in base if name not in dropped]:
            try:
                forecasts[name].append(fit_predict(name, history, horizon))
            except CandidateError as error:
                dropped[name] = f"fold {fold}: {error}"
    survivors = {name: runs for name, runs in forecasts.items() if name not in dropped}
    members = [name for name in COMBO_MEMBERS if name in survivors]
    if COMBO in names:
        if len(members) >= 2:
            survivors[COMBO] = [combine([survivors[m][fold] for m in members]) for fold in range(folds)]
        else:
            dropped[COMBO] = f"needs at least two of {', '.join(COMBO_MEMBERS)} to survive the backtest"
    if not survivors:
        raise _nothing_left("the series", dropped)
    actuals = [values[length:length + horizon] for length in lengths]
    scales = [metrics.mase_scale(values[:length], season) for length in lengths]
    table = pd.DataFrame([_score(name, runs, actuals, scales) for name, runs in survivors.items()],
                         columns=METRIC_COLUMNS)
    order = {name: rank for rank, name in enumerate(ALL_CANDIDATES)}
    table = (table.assign(_order=table["candidate"].map(order))
             .sort_values(["mase", "smape", "_order"]).drop(columns="_order").reset_index(drop=True))
    selected = str(table["candidate"].iloc[0])
    return BacktestResult(metrics=table, selected=selected, weights=_weights(selected, list(survivors)),
                          dropped=dropped, origins=[dates[length - 1] for length in lengths], season_length=season)


def _fit_full(name: str, history: History, horizon: int, weights: dict[str, float]) -> PointInterval:
    if name != COMBO:
        return fit_predict(name, history, horizon)
    return combine([fit_predict(member, history, horizon) for member in weights])


def forecast(series: pd.Series, horizon: int, freq: str = "MS", folds: int = 3,
             candidates: Sequence[str] | None = None) -> tuple[pd.DataFrame, BacktestResult]:
    """Select by backtest, refit the winner on the whole history and forecast `horizon` periods ahead.

    Returns columns ds, yhat, yhat_lower, yhat_upper (95%), yhat_lower_80, yhat_upper_80, and the backtest. If the
    winner fails on the full history the next best is used; the returned result names the model actually used."""
    y = validate_series(series, freq, horizon, folds)
    result = _backtest(y, horizon, folds, season_length(freq), resolve_candidates(candidates))
    history = History(y.to_numpy(), y.index, result.season_length)
    ranked = list(result.metrics["candidate"])
    dropped = dict(result.dropped)
    for name in ranked:
        weights = _weights(name, ranked)
        try:
            prediction = _fit_full(name, history, horizon, weights)
        except CandidateError as error:
            dropped[name] = f"full history: {error}"
            continue
        frame = pd.DataFrame({
            "ds": pd.date_range(y.index[-1], periods=horizon + 1, freq=freq)[1:],
            "yhat": prediction.mean, "yhat_lower": prediction.lower_95, "yhat_upper": prediction.upper_95,
            "yhat_lower_80": prediction.lower_80, "yhat_upper_80": prediction.upper_80,
        })
        return frame, dataclasses.replace(result, selected=name, weights=weights, dropped=dropped)
    raise _nothing_left("the full history", dropped)
