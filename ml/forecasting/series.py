"""Input validation: turn user data into a regular, numeric, long-enough series or fail with a message that
says exactly what is wrong (which column, which row, how many observations are needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEASON_LENGTHS = {"MS": 12, "QS": 4, "W-MON": 52}
MIN_TRAIN = 8  # shortest history a backtest fold is fitted on: enough for a damped-trend ETS to be estimable
_ANCHORS = {"MS": "first day of a month", "QS": "first day of Jan/Apr/Jul/Oct", "W-MON": "a Monday"}


class ForecastInputError(ValueError):
    """The input series cannot be forecast as given; the message tells the user what to fix."""


def season_length(freq: str) -> int:
    """Nominal season length of a supported frequency (models degrade it when the history is short)."""
    if freq not in SEASON_LENGTHS:
        raise ForecastInputError(f"unknown frequency {freq!r}; supported: {', '.join(SEASON_LENGTHS)}")
    return SEASON_LENGTHS[freq]


def minimum_length(horizon: int, folds: int) -> int:
    """Observations needed for `folds` rolling origins one period apart, each followed by `horizon` actuals."""
    return MIN_TRAIN + horizon + folds - 1


def validate_series(series: pd.Series, freq: str, horizon: int, folds: int) -> pd.Series:
    """A float series on a regular DatetimeIndex of `freq`, sorted; raises ForecastInputError otherwise.

    Dates must sit on the frequency's anchor (month/quarter starts, Mondays) with no duplicates and no gaps:
    silently summing or zero-filling would change the sales history the forecast is judged against."""
    season_length(freq)
    if horizon < 1 or folds < 1:
        raise ForecastInputError(f"horizon and folds must be positive (got horizon={horizon}, folds={folds})")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ForecastInputError("the series needs a DatetimeIndex")
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise ForecastInputError(f"the series values must be numeric (got dtype {series.dtype})")
    series = series.sort_index().astype(float)
    bad = series[~np.isfinite(series.to_numpy())]
    if len(bad):
        raise ForecastInputError(f"missing or infinite value at {bad.index[0].date()} ({len(bad)} in total)")
    needed = minimum_length(horizon, folds)
    if len(series) < needed:
        raise ForecastInputError(
            f"series has {len(series)} observations; horizon {horizon} with {folds} backtest fold(s) needs at least "
            f"{needed} ({MIN_TRAIN} to train + {horizon} horizon + {folds - 1} extra origin(s))")
    dates = series.index
    duplicated = dates[dates.duplicated()]
    if len(duplicated):
        raise ForecastInputError(f"duplicate date {duplicated[0].date()}: aggregate to one value per period first")
    offset = pd.tseries.frequencies.to_offset(freq)
    off_anchor = [d for d in dates if not offset.is_on_offset(d) or d != d.normalize()]
    if off_anchor:
        first = off_anchor[0]
        shown = first.date() if first == first.normalize() else first
        raise ForecastInputError(f"date {shown} is not a {freq} period start ({_ANCHORS[freq]}); "
                                 f"{len(off_anchor)} such date(s)")
    expected = pd.date_range(dates[0], dates[-1], freq=freq)
    missing = expected.difference(dates)
    if len(missing):
        listed = ", ".join(str(d.date()) for d in missing[:5])
        inferred = pd.infer_freq(dates) if len(dates) >= 3 else None
        hint = f" (the dates look like {inferred} data: is the frequency right?)" if inferred else ""
        raise ForecastInputError(
            f"{len(missing)} missing {freq} period(s): {listed}; the history must be gap-free{hint}")
    return pd.Series(series.to_numpy(), index=pd.DatetimeIndex(expected, freq=freq), name=series.name)



def series_from_frame(frame: pd.DataFrame, date_col: str, value_col: str) -> pd.Series:
    """Pick and parse the date and value columns of a table, naming the offending column, row and value."""
    for column in (date_col, value_col):
        if column not in frame.columns:
            raise ForecastInputError(
                f"column {column!r} not found; available columns: {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise ForecastInputError("the input has no rows")
    dates = pd.to_datetime(frame[date_col], errors="coerce")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    for parsed, column, kind in ((dates, date_col, "date"), (values, value_col, "numeric value")):
        bad = parsed.isna()
        if bad.any():
            position = int(bad.to_numpy().argmax())
            raise ForecastInputError(
                f"data row {position + 1}: {frame[column].iloc[position]!r} in column {column!r} is not a valid {kind}"
                f" ({int(bad.sum())} such row(s))")
    return pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates), name=value_col)
