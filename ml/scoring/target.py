"""Turning an analyst's target column into 1 (positive) / 0, whatever spelling the labels use.

Labels are compared trimmed and lower-cased, with "1.0" read as "1" and "0.0" as "0". Rows with a missing
target are dropped (and counted). The target must then have exactly two labels; the positive one is
`--positive` when given, else the one label spelled yes / y / true / t / 1, else the minority label (on a tie,
the one sorting last)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.scoring.schema import MISSING_TOKENS, ScoringInputError

POSITIVE_TOKENS = frozenset({"1", "true", "t", "yes", "y"})
MIN_CLASS_ROWS = 10  # fewer rows of a class leave too little to cross-validate


@dataclass(frozen=True)
class BinaryTarget:
    y: np.ndarray  # 1 = positive, one per kept row
    kept: np.ndarray  # boolean mask over the input rows: target not missing
    positive_label: str
    negative_label: str


def _label(value: str) -> str:
    label = value.strip().casefold()
    try:
        number = float(label)
    except ValueError:
        return label
    return str(int(number)) if number.is_integer() else label


def parse_target(column: pd.Series, positive: str | None = None) -> BinaryTarget:
    labels = column.astype(str).map(_label)
    kept = ~labels.isin(MISSING_TOKENS)
    counts = labels[kept].value_counts()
    name = column.name
    if len(counts) != 2:
        one_class = " (one class)" if len(counts) == 1 else ""
        raise ScoringInputError(f"target {name!r} has {len(counts)} distinct label(s){one_class} "
                                f"{sorted(counts.index)[:10]}; a binary target needs exactly two")
    if positive is not None:
        chosen = _label(positive)
        if chosen not in counts.index:
            raise ScoringInputError(f"--positive {positive!r} is not a label of {name!r}: {sorted(counts.index)}")
    else:
        spelled = [label for label in counts.index if label in POSITIVE_TOKENS]
        chosen = spelled[0] if len(spelled) == 1 else min(sorted(counts.index, reverse=True), key=counts.get)
    rare = int(counts.min())
    if rare < MIN_CLASS_ROWS:
        raise ScoringInputError(f"target {name!r} has only {rare} row(s) labelled {counts.idxmin()!r}; "
                                f"need at least {MIN_CLASS_ROWS} of each label")
    (negative,) = (label for label in counts.index if label != chosen)
    y = (labels[kept] == chosen).to_numpy(dtype=int)
    return BinaryTarget(y=y, kept=kept.to_numpy(), positive_label=chosen, negative_label=negative)
