"""LightGBM with defaults for the small tables sales data gives (hundreds to tens of thousands of rows):
small trees, a slow learning rate and the number of trees found by early stopping, reproducible runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, early_stopping

SMALL_DATA_PARAMS: dict[str, Any] = {
    "num_leaves": 15,
    "min_child_samples": 20,
    "learning_rate": 0.05,
    "deterministic": True,
    "force_col_wise": True,  # LightGBM asks for a fixed layout alongside `deterministic`
    "n_jobs": 1,  # threads cost more than they save on small tables, and far more on a busy host
    "verbose": -1,
}
MAX_ROUNDS = 2000
EARLY_STOPPING_ROUNDS = 50


def lgbm_classifier(params: dict[str, Any] | None = None, *, seed: int = 0,
                    n_estimators: int = MAX_ROUNDS) -> LGBMClassifier:
    """An unfitted classifier: `SMALL_DATA_PARAMS` overridden by `params`. Pandas `category` columns are used
    as LightGBM categorical features."""
    return LGBMClassifier(**{**SMALL_DATA_PARAMS, **(params or {})}, n_estimators=n_estimators, random_state=seed)


def train_lgbm(X_train: pd.DataFrame, y_train: np.ndarray, X_valid: pd.DataFrame, y_valid: np.ndarray, *,
               params: dict[str, Any] | None = None, seed: int = 0, max_rounds: int = MAX_ROUNDS,
               early_stopping_rounds: int = EARLY_STOPPING_ROUNDS) -> LGBMClassifier:
    """Fit with early stopping on the validation slice (binary log loss); the model then predicts with its
    `best_iteration_` trees."""
    model = lgbm_classifier(params, seed=seed, n_estimators=max_rounds)
    model.fit(X_train, y_train, eval_X=X_valid, eval_y=y_valid, eval_metric="binary_logloss",
              callbacks=[early_stopping(early_stopping_rounds, verbose=False)])
    return model
