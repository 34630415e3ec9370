"""Binary scoring (deal win, lead conversion, any analyst's CSV): a small toolkit plus bring-your-own-data
fit/predict. Names are imported on first use, so `import ml.scoring` stays free of sklearn and LightGBM."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "binary_metrics": "metrics",
    "ISOTONIC_MIN_ROWS": "calibration",
    "calibration_method": "calibration",
    "calibrate": "calibration",
    "contributions": "explain",
    "top_reasons": "explain",
    "format_reason": "explain",
    "SMALL_DATA_PARAMS": "lgbm",
    "lgbm_classifier": "lgbm",
    "train_lgbm": "lgbm",
    "TimeSplit": "splits",
    "time_split": "splits",
    "ScoringInputError": "schema",
    "fit_table": "tabular",
    "load_model": "tabular",
    "predict_table": "tabular",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
