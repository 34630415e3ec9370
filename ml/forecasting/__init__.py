"""Per-series sales forecasting with backtest-driven model selection, intervals and hierarchy reconciliation.

Public API (importing this package loads numpy and pandas only; statsmodels and Prophet load on first fit):

- ``forecast(series, horizon, freq="MS", folds=3, candidates=None) -> (DataFrame, BacktestResult)``
  Selects a model by backtest, refits it on the whole history and returns the next `horizon` periods with
  columns ds, yhat, yhat_lower, yhat_upper (95%), yhat_lower_80, yhat_upper_80.
- ``backtest(series, horizon, folds=3, freq="MS", candidates=None) -> BacktestResult``
  Rolling-origin (expanding window) evaluation. ``BacktestResult.metrics`` has one row per surviving
  candidate, best first: candidate, mase, smape, bias, coverage_80, coverage_95, folds; ``selected``,
  ``weights`` (base model -> weight), ``dropped`` (candidate -> reason), ``origins``, ``season_length``.
- ``Hierarchy.from_leaf_ancestors(mapping)``, ``hierarchy_from_frame(frame, levels)``,
  ``reconcile(wide_base, hierarchy, method="wls_struct")``, ``reconcile_forecasts(long, hierarchy, method)``:
  coherent forecasts (methods bottom_up, ols, wls_struct; see ``ml.forecasting.reconcile``).
- ``blend(base, other, weights)``: mix another forecast into the nearest horizon steps.
- ``series_from_frame(frame, date_col, value_col)``; ``ForecastInputError`` (bad input, message says what to fix),
  ``ForecastError`` (no candidate could forecast).

Series: a DatetimeIndex on period starts of freq ``MS``, ``QS`` (Jan/Apr/Jul/Oct) or ``W-MON`` (season length
12, 4, 52), no gaps or duplicates (an error, not silently filled), finite values, negatives allowed, at least
8 + horizon + folds - 1 observations. Seasonal terms are used only once the history holds two full seasons
(one for seasonal naive), so short weekly series degrade to non-seasonal models instead of failing.

Candidates (``candidates=`` any subset; default all): seasonal_naive, naive, ets (additive damped trend),
theta, sarima ((1,1,1)x(0,1,1,m) with simpler fallbacks), prophet, combo (equal-weight mean of ets, theta and
sarima). Every candidate gives model-native 80%/95% intervals (combo averages its members' bounds); their
empirical coverage is measured in the backtest, not assumed. Metrics: MASE against the in-sample seasonal
naive MAE (lag-1 when under two seasons), sMAPE on the 0-200 scale with 0/0 = 0, bias = mean(forecast - actual)
/ mean(|actual|). Selection is by mean MASE over folds; a candidate that fails or returns non-finite values at
any origin is dropped with its reason. Output is deterministic for a given input (Prophet's sampling is seeded).
"""

from ml.forecasting.blend import blend
from ml.forecasting.candidates import ALL_CANDIDATES
from ml.forecasting.reconcile import Hierarchy, hierarchy_from_frame, reconcile, reconcile_forecasts
from ml.forecasting.selection import BacktestResult, ForecastError, backtest, forecast
from ml.forecasting.series import SEASON_LENGTHS, ForecastInputError, series_from_frame

__all__ = [
    "ALL_CANDIDATES",
    "SEASON_LENGTHS",
    "BacktestResult",
    "ForecastError",
    "ForecastInputError",
    "Hierarchy",
    "backtest",
    "blend",
    "forecast",
    "hierarchy_from_frame",
    "reconcile",
    "reconcile_forecasts",
    "series_from_frame",
]
