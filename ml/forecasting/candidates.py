"""Candidate models: each fits a numpy history and returns point forecasts with model-native 80% and 95%
prediction intervals. statsmodels and Prophet are imported inside the fit functions so that importing the
package stays cheap and Prophet is only loaded when it is a candidate."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

LEVELS = (80, 95)
COMBO = "combo"
COMBO_MEMBERS = ("ets", "theta", "sarima")
MAX_SARIMA_SEASON = 24  # a 52-week seasonal ARIMA state is slow and unstable; weekly seasonality is left to the others


class CandidateError(RuntimeError):
    """A candidate cannot forecast this history; the backtest drops it and records the message."""


@dataclass(frozen=True)
class PointInterval:
    """Point forecasts and interval bounds, one array of `horizon` values per field."""

    mean: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray

    def checked(self) -> PointInterval:
        """Reject non-finite output and nest the bounds (95% around 80% around the point): sampled or
        asymmetric intervals can cross slightly, and consumers rely on lower <= yhat <= upper."""
        arrays = [np.asarray(a, dtype=float) for a in (self.mean, self.lower_80, self.upper_80, self.lower_95,
                                                         self.upper_95)]
        if not all(np.isfinite(a).all() for a in arrays):
            raise CandidateError("non-finite forecast or interval")
        mean, lower_80, upper_80, lower_95, upper_95 = arrays
        lower_80, upper_80 = np.minimum(lower_80, mean), np.maximum(upper_80, mean)
        return PointInterval(mean, lower_80, upper_80, np.minimum(lower_95, lower_80), np.maximum(upper_95, upper_80))


@dataclass(frozen=True)
class History:
    """What a candidate sees: the training values, their dates and the nominal season length."""

    values: np.ndarray
    dates: pd.DatetimeIndex
    season_length: int

    def seasonal(self, cycles: int = 2) -> bool:
        """Whether the history holds enough full seasons to estimate seasonality (graceful degradation)."""
        return self.season_length > 1 and len(self.values) >= cycles * self.season_length


def _z(level: int) -> float:
    return NormalDist().inv_cdf(0.5 + level / 200)


def _from_bounds(mean: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]) -> PointInterval:
    """PointInterval from a point forecast and {level: (lower, upper)} in any array-like form."""
    return PointInterval(np.asarray(mean), *(np.asarray(bound) for level in LEVELS for bound in bounds[level]))


def _normal(mean: np.ndarray, sigma: np.ndarray) -> PointInterval:
    return _from_bounds(mean, {level: (mean - _z(level) * sigma, mean + _z(level) * sigma) for level in LEVELS})


def _repeat_last(history: History, horizon: int, lag: int) -> PointInterval:
    """Naive forecast repeating the last `lag` values; intervals from the RMS of in-sample lag differences,
    widening with the number of seasons ahead (Hyndman & Athanasopoulos, FPP3 5.5)."""
    y = history.values
    if len(y) <= lag:
        raise CandidateError(f"needs more than {lag} observations")
    sigma = float(np.sqrt(np.mean((y[lag:] - y[:-lag]) ** 2)))
    steps = np.arange(horizon)
    return _normal(y[len(y) - lag + steps % lag], sigma * np.sqrt(steps // lag + 1))


def naive(history: History, horizon: int) -> PointInterval:
    """Random walk: the last value carried forward."""
    return _repeat_last(history, horizon, 1)


def seasonal_naive(history: History, horizon: int) -> PointInterval:
    """Last season repeated; needs one full season only."""
    if history.season_length == 1:
        raise CandidateError("no seasonality at this frequency")
    return _repeat_last(history, horizon, history.season_length)


def ets(history: History, horizon: int) -> PointInterval:
    """Additive-error ETS with damped additive trend (and additive season when two seasons are available);
    this class has analytic intervals, so no simulation noise. Seasonal start states are set heuristically
    once statsmodels allows it (10 + 2 * (m // 2) points): estimating m of them is slow and, at 52 weeks, does
    not converge, for no accuracy gain on short histories."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    m, n = history.season_length, len(history.values)
    seasonal = history.seasonal()
    heuristic = seasonal and n >= 10 + 2 * (m // 2)
    model = ETSModel(pd.Series(history.values), error="add", trend="add", damped_trend=True,
                     seasonal="add" if seasonal else None, seasonal_periods=m if seasonal else None,
                     initialization_method="heuristic" if heuristic else "estimated")
    result = model.fit(disp=False)
    prediction = result.get_prediction(start=n, end=n + horizon - 1)
    frames = {level: prediction.summary_frame(alpha=1 - level / 100) for level in LEVELS}
    return _from_bounds(frames[80]["mean"], {level: (f["pi_lower"], f["pi_upper"]) for level, f in frames.items()})


def theta(history: History, horizon: int) -> PointInterval:
    """Theta method (SES with drift, M3 winner); deseasonalised by classical decomposition when seasonal."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = history.seasonal()
    model = ThetaModel(history.values, period=history.season_length if seasonal else 1, deseasonalize=seasonal,
                       use_test=False)
    result = model.fit()
    frames = {level: result.prediction_intervals(horizon, alpha=1 - level / 100) for level in LEVELS}
    return _from_bounds(result.forecast(horizon), {level: (f["lower"], f["upper"]) for level, f in frames.items()})


def sarima(history: History, horizon: int) -> PointInterval:
    """Small fixed-order SARIMA; falls back to simpler orders when one fails to fit or gives non-finite values."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    m = history.season_length
    orders: list[tuple[tuple[int, int, int], tuple[int, int, int, int]]] = [((1, 1, 1), (0, 0, 0, 0)),
                                                                            ((0, 1, 1), (0, 0, 0, 0))]
    if history.seasonal() and m <= MAX_SARIMA_SEASON:
        orders = [((1, 1, 1), (0, 1, 1, m)), ((0, 1, 1), (0, 1, 1, m)), *orders]
    failures = []
    for order, seasonal_order in orders:
        try:
            result = SARIMAX(history.values, order=order, seasonal_order=seasonal_order).fit(disp=False)
            prediction = result.get_forecast(horizon)
            intervals = {level: prediction.conf_int(alpha=1 - level / 100) for level in LEVELS}
            return _from_bounds(prediction.predicted_mean,
                                {level: (ci[:, 0], ci[:, 1]) for level, ci in intervals.items()}).checked()
        except (CandidateError, ValueError, np.linalg.LinAlgError) as error:
            failures.append(f"{order}x{seasonal_order}: {error}")
    raise CandidateError("; ".join(failures))


@contextlib.contextmanager
def _seeded_global_numpy(seed: int) -> Iterator[None]:
    """Prophet samples its intervals from numpy's global generator: seed it for determinism, then restore."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _silenced_prophet() -> Iterator[None]:
    """Mute Prophet's chatter (the missing-plotly notice at import, INFO lines from cmdstanpy on every fit)
    for the duration only, leaving the caller's logging configuration as it was."""
    loggers = [logging.getLogger(name) for name in ("prophet", "prophet.plot", "cmdstanpy")]
    previous = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, previous, strict=True):
            logger.disabled = disabled


def prophet(history: History, horizon: int) -> PointInterval:
    """Prophet with yearly Fourier seasonality sized to the frequency; intervals are quantiles of its
    predictive samples (trend changes plus noise) drawn with a fixed seed."""
    with _silenced_prophet():
        return _prophet(history, horizon)


def _prophet(history: History, horizon: int) -> PointInterval:
    from prophet import Prophet

    seasonal = history.seasonal()
    model = Prophet(yearly_seasonality=min(10, history.season_length // 2) if seasonal else False,
                    weekly_seasonality=False, daily_seasonality=False)
    model.fit(pd.DataFrame({"ds": history.dates, "y": history.values}), seed=0)
    future = model.make_future_dataframe(periods=horizon, freq=history.dates.freq, include_history=False)
    with _seeded_global_numpy(0):
        samples = model.predictive_samples(future)["yhat"]
        mean = model.predict(future)["yhat"].to_numpy()
    return _from_bounds(mean, {level: tuple(np.quantile(samples, [0.5 - level / 200, 0.5 + level / 200], axis=1))
                               for level in LEVELS})


CANDIDATES: dict[str, Callable[[History, int], PointInterval]] = {
    "seasonal_naive": seasonal_naive, "naive": naive, "ets": ets, "theta": theta, "sarima": sarima,
    "prophet": prophet,
}
ALL_CANDIDATES = (*CANDIDATES, COMBO)


def fit_predict(name: str, history: History, horizon: int) -> PointInterval:
    """Run one base candidate with library warnings silenced; any failure surfaces as CandidateError.

    BLAS is held to one thread: the state-space matrices are tiny, and multi-threaded OpenBLAS made the
    statsmodels fits several times slower (thread start-up dominates, worse when cores are shared)."""
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        try:
            return CANDIDATES[name](history, horizon).checked()
        except CandidateError:
            raise
        except Exception as error:  # a third-party fit can fail in many ways; the backtest just drops it
            raise CandidateError(f"{type(error).__name__}: {error}") from error


def combine(forecasts: list[PointInterval]) -> PointInterval:
    """Equal-weight mean of points and of interval bounds (quantile averaging, Lichtendahl et al. 2013):
    combining bounds rather than variances needs no independence assumption; coverage is measured anyway."""
    return PointInterval(*(np.mean([getattr(f, field) for f in forecasts], axis=0)
                           for field in ("mean", "lower_80", "upper_80", "lower_95", "upper_95")))
