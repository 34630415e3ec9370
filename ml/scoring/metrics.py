"""Binary-classification metrics in one dict, so every scoring model is judged and reported the same way."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

PROBABILITY_EPSILON = 1e-6  # keeps log loss finite when a model says exactly 0 or 1


def clip_probabilities(p: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(p, dtype=float), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)


def binary_metrics(y_true: np.ndarray, p: np.ndarray) -> dict[str, float | int | None]:
    """AUC, PR-AUC (average precision), Brier, log loss, positive rate and n; the ranking metrics are None
    when `y_true` holds one class, where they are undefined."""
    y = np.asarray(y_true, dtype=int)
    p = clip_probabilities(p)
    both_classes = 0 < y.sum() < len(y)
    return {
        "n": len(y),
        "positive_rate": float(y.mean()) if len(y) else None,
        "auc": float(roc_auc_score(y, p)) if both_classes else None,
        "pr_auc": float(average_precision_score(y, p)) if both_classes else None,
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
    }
