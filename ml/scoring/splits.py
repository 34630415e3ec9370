"""Time-based train/validation/test splits: scoring models predict the future, so they are tuned and judged on
later rows than they learn from, never on a shuffled mix."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class TimeSplit(NamedTuple):
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    valid_start: pd.Timestamp
    test_start: pd.Timestamp


def time_split(frame: pd.DataFrame, date_column: str, *, valid_start: object = None, test_start: object = None,
               valid_fraction: float = 0.15, test_fraction: float = 0.15) -> TimeSplit:
    """Rows before `valid_start` train, rows from `valid_start` up to `test_start` validate, the rest test.
    Cutoffs left out are the date quantiles leaving `valid_fraction` and `test_fraction` of rows; rows sharing
    a date always land on the same side. Input order is kept within each part."""
    dates = pd.to_datetime(frame[date_column])
    if dates.isna().any():
        raise ValueError(f"{date_column!r} has {int(dates.isna().sum())} missing dates; drop or fill them first")
    test_at = pd.Timestamp(test_start) if test_start is not None else dates.quantile(1 - test_fraction)
    valid_at = (pd.Timestamp(valid_start) if valid_start is not None
                else dates.quantile(1 - test_fraction - valid_fraction))
    if valid_at > test_at:
        raise ValueError(f"valid_start {valid_at} is after test_start {test_at}")
    parts = (dates < valid_at, (dates >= valid_at) & (dates < test_at), dates >= test_at)
    assert (sum(part.astype(int) for part in parts) == 1).all(), "every row must fall in exactly one part"
    train, valid, test = (frame[part.to_numpy()] for part in parts)
    return TimeSplit(train, valid, test, valid_at, test_at)
