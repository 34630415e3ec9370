"""Per-row reasons behind a LightGBM score: SHAP contributions (LightGBM's `pred_contrib`), on the raw
log-odds scale where they add up exactly to the model's raw score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lightgbm import Booster, LGBMModel


def _booster(model: Booster | LGBMModel) -> Booster:
    return model if isinstance(model, Booster) else model.booster_


def contributions(model: Booster | LGBMModel, X: object) -> tuple[np.ndarray, np.ndarray]:
    """(per-feature contributions of shape rows x features, bias per row); their row sums are the raw score.
    An sklearn model that stopped early is explained with its best iteration, as it predicts."""
    best = getattr(model, "best_iteration_", None)
    contrib = np.asarray(_booster(model).predict(X, pred_contrib=True, num_iteration=best))
    return contrib[:, :-1], contrib[:, -1]


def top_reasons(model: Booster | LGBMModel, X: object, feature_names: Sequence[str] | None = None,
                k: int = 3) -> list[list[tuple[str, float]]]:
    """The `k` features moving each row's score the most (largest absolute contribution), strongest first."""
    values, _ = contributions(model, X)
    names = list(feature_names) if feature_names is not None else _booster(model).feature_name()
    if len(names) != values.shape[1]:
        raise ValueError(f"{len(names)} feature names for a model with {values.shape[1]} features")
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    return [[(names[j], float(row[j])) for j in picks] for row, picks in zip(values, order, strict=True)]


def format_reason(name: str, contribution: float) -> str:
    """'days_in_stage +0.42': a signed raw-score (log-odds) contribution, for people reading a score."""
    return f"{name} {contribution:+.2f}"
