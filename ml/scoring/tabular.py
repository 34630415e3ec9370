"""Bring-your-own-data scoring: fit a binary classifier on any CSV and score other CSVs with it.

`fit_table` reads the table (column rules in `ml.scoring.schema`, target rules in `ml.scoring.target`),
picks a model by cross-validation (`ml.scoring.selection`) and writes to the model directory:

* `model.skops`: the fitted pipeline (column rules, then the model); `pipeline.predict_proba(raw_frame)[:, 1]`
  is the probability of the positive label. skops, not pickle, so loading runs no arbitrary code; only types
  from sklearn, lightgbm and ml.scoring are trusted.
* `model.json`: target, positive label, features with their kinds and categories, ignored columns with reasons,
  cross-validation scores per candidate, the selection, calibration and library versions.

`predict_table` writes the input columns unchanged plus `score` (replacing an existing `score` column), one
output row per input row in input order. The target column and other extra columns are carried along but not
used; unseen categories count as "(other)"; a missing feature column, or text in a column that was numeric or
a date at fit time, is an error naming the column.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ml.scoring.schema import ScoringInputError, TabularSchema, read_table
from ml.scoring.selection import default_candidates, select_and_fit
from ml.scoring.target import parse_target

FORMAT_VERSION = 1
MODEL_FILE = "model.skops"
META_FILE = "model.json"
SCORE_COLUMN = "score"
TRUSTED_PREFIXES = ("sklearn.", "lightgbm.", "ml.scoring.", "collections.OrderedDict", "numpy.dtype")
LIBRARIES = ("scikit-learn", "lightgbm", "pandas", "numpy", "skops")


def fit_table(input_path: str | Path, target: str, model_dir: str | Path, *, positive: str | None = None,
              folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Fit, save and return the summary printed by `salesops scoring fit`."""
    table = read_table(input_path)
    if target not in table.columns:
        raise ScoringInputError(f"target column {target!r} not in {input_path}; columns: {list(table.columns)}")
    if folds < 2:
        raise ScoringInputError(f"--folds must be at least 2, not {folds}")
    labels = parse_target(table[target], positive)
    features = table.loc[labels.kept].drop(columns=[target])
    schema = TabularSchema().fit(features)
    X = schema.transform(features)
    candidates = default_candidates(schema.numeric_features_, schema.categorical_features_)
    with threadpool_limits(limits=1):  # BLAS/OpenMP threads cost more than they save on tables this small
        model, selection = select_and_fit(candidates, X, labels.y, folds, seed)
    pipeline = Pipeline([("schema", schema), ("model", model)])
    meta = {
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "input": str(input_path),
        "target": target, "positive_label": labels.positive_label, "negative_label": labels.negative_label,
        "n_rows": len(labels.y), "n_positive": int(labels.y.sum()),
        "rows_dropped_missing_target": int((~labels.kept).sum()),
        "features": schema.features_, "model_inputs": schema.get_feature_names_out(), "ignored": schema.ignored_,
        "cv": selection,
        "versions": {"python": platform.python_version(), **{name: version(name) for name in LIBRARIES}},
    }
    directory = Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    sio.dump(pipeline, directory / MODEL_FILE)
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return {
        "model_dir": str(directory), "n_rows": meta["n_rows"], "positive_rate": meta["n_positive"] / meta["n_rows"],
        "target": target, "positive_label": labels.positive_label,
        "features": {spec["name"]: spec["kind"] for spec in schema.features_}, "ignored": schema.ignored_,
        "candidates": selection["candidates"], "selected": selection["selected"],
        "calibration": selection["calibration"],
    }


def load_model(model_dir: str | Path) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline and metadata saved by `fit_table`; refuses files holding types outside the trusted set."""
    directory = Path(model_dir)
    if not (directory / META_FILE).is_file() or not (directory / MODEL_FILE).is_file():
        raise ScoringInputError(f"model dir {directory} has no {META_FILE} and {MODEL_FILE}; "
                                "run `salesops scoring fit` first")
    meta = json.loads((directory / META_FILE).read_text())
    if meta.get("format_version") != FORMAT_VERSION:
        raise ScoringInputError(f"model dir {directory} has format {meta.get('format_version')}, "
                                f"this version reads {FORMAT_VERSION}; refit the model")
    types = sio.get_untrusted_types(file=directory / MODEL_FILE)
    unexpected = [name for name in types if not name.startswith(TRUSTED_PREFIXES)]
    if unexpected:
        raise ScoringInputError(f"{directory / MODEL_FILE} holds untrusted types {unexpected}; not loading it")
    return sio.load(directory / MODEL_FILE, trusted=types), meta


def predict_table(model_dir: str | Path, input_path: str | Path, output_path: str | Path) -> dict[str, Any]:
    """Score `input_path` into `output_path` and return the summary printed by `salesops scoring predict`."""
    pipeline, meta = load_model(model_dir)
    table = read_table(input_path)
    scores = pipeline.predict_proba(table)[:, 1]
    output = table.assign(**{SCORE_COLUMN: scores})
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    output.to_csv(output_path, index=False)
    return {"output": str(output_path), "n_rows": len(output), "target": meta["target"],
            "positive_label": meta["positive_label"], "model": meta["cv"]["selected"],
            "mean_score": float(np.mean(scores))}
