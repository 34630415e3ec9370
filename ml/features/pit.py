"""Point-in-time guard: a training row may only use information dated at or before its snapshot, else the model
learns from the future and its holdout metrics flatter it. Every feature row carries `snapshot_at` (when it is
scored) and `features_as_of` (the latest source timestamp it used); training refuses a row where the second is
later than the first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

SNAPSHOT_COLUMN = "snapshot_at"
FEATURES_AS_OF_COLUMN = "features_as_of"
MAX_LISTED_ROWS = 5


class LeakageError(ValueError):
    """A feature row uses information dated after its snapshot."""


def assert_point_in_time(frame: pd.DataFrame, timestamps: Mapping[str, str] | None = None, *,
                         snapshot_column: str = SNAPSHOT_COLUMN, id_columns: Sequence[str] = ()) -> None:
    """Raise LeakageError if any timestamp column is later than `snapshot_column` in any row.

    `timestamps` maps each feature to the column holding the timestamp of the information behind it (several
    features may share one); by default the row-level `features_as_of`. Missing timestamps (no source used)
    pass. The message names the feature, its timestamp column and the first offending rows (`id_columns` plus
    both timestamps)."""
    checks = timestamps if timestamps is not None else {FEATURES_AS_OF_COLUMN: FEATURES_AS_OF_COLUMN}
    absent = sorted({snapshot_column, *checks.values()} - set(frame.columns))
    if absent:
        raise LeakageError(f"cannot check point-in-time correctness: column(s) {absent} missing")
    snapshot = pd.to_datetime(frame[snapshot_column], utc=True)
    features_by_column: dict[str, list[str]] = {}
    for feature, column in checks.items():
        features_by_column.setdefault(column, []).append(feature)
    problems = []
    for column, features in features_by_column.items():
        late = (pd.to_datetime(frame[column], utc=True) > snapshot).to_numpy()
        if late.any():
            shown = frame.loc[late, [*id_columns, snapshot_column, column]].head(MAX_LISTED_ROWS)
            used_by = "" if features == [column] else f" (behind feature(s) {', '.join(features)})"
            problems.append(f"{column}{used_by} is after {snapshot_column} in {int(late.sum())} row(s), e.g.\n"
                            f"{shown.to_string(index=False)}")
    if problems:
        raise LeakageError("point-in-time violation: " + "\n".join(problems))


def assert_features_point_in_time(frame: pd.DataFrame, feature_timestamps: Mapping[str, str],
                                  id_columns: Sequence[str] = ()) -> None:
    """Both guards, as training and scoring run them: the row-level `features_as_of`, then each feature's own
    timestamp column (which also catches a wrong `features_as_of`)."""
    assert_point_in_time(frame, id_columns=id_columns)
    assert_point_in_time(frame, feature_timestamps, id_columns=id_columns)
