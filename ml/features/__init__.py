"""Shared pieces of the warehouse scoring pipelines (`ml.deal_win`, `ml.lead_scoring`): the point-in-time guard,
warehouse reads and idempotent score writes, and the training result. The LightGBM/sklearn plumbing lives in
`ml.features.model`, imported only when a pipeline trains or scores, so importing this package stays light."""

from ml.features.db import BUSINESS_TIMEZONE, DEFAULT_SCHEMA, Connectable, data_as_of, read_frame, write_scores
from ml.features.pit import (
    FEATURES_AS_OF_COLUMN,
    SNAPSHOT_COLUMN,
    LeakageError,
    assert_features_point_in_time,
    assert_point_in_time,
)
from ml.features.result import TrainingResult

__all__ = [
    "BUSINESS_TIMEZONE",
    "DEFAULT_SCHEMA",
    "FEATURES_AS_OF_COLUMN",
    "SNAPSHOT_COLUMN",
    "Connectable",
    "LeakageError",
    "TrainingResult",
    "assert_features_point_in_time",
    "assert_point_in_time",
    "data_as_of",
    "read_frame",
    "write_scores",
]
