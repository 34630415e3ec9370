"""What a scoring pipeline's training returns to its caller (the Dagster asset that logs, registers and promotes):
the model, its holdout, metrics on that holdout, and a way to measure any other model on exactly those rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class TrainingResult:
    model: Any  # sklearn Pipeline: raw feature frame -> calibrated LightGBM; predict_proba(frame)[:, 1]
    metrics: dict[str, dict[str, Any]]  # "model" and a reference ("baseline" / "oracle"): binary_metrics dicts
    holdout_id: str  # deterministic description of the test rows; equal ids mean comparable metrics
    holdout: pd.DataFrame  # the test rows: ids, features, label
    label: str
    features: list[str]
    categorical: list[str]
    rows: dict[str, int]  # train / valid / test, plus rows left out and why
    calibration: str  # "sigmoid" or "isotonic"
    seed: int

    def evaluate(self, model: Any) -> dict[str, Any]:
        """`binary_metrics` of any model (e.g. the champion) on this result's holdout, for the promotion gate."""
        from ml.features.model import probabilities
        from ml.scoring import binary_metrics

        return binary_metrics(self.holdout[self.label].to_numpy(dtype=int), probabilities(model, self.holdout))

    def flat_metrics(self) -> dict[str, float]:
        """Finite metrics as `<name>` for the model and `<reference>_<name>` otherwise, ready for MLflow."""
        flat = {}
        for owner, values in self.metrics.items():
            prefix = "" if owner == "model" else f"{owner}_"
            flat.update({f"{prefix}{name}": float(value) for name, value in values.items()
                         if isinstance(value, int | float) and not isinstance(value, bool)})
        return flat
