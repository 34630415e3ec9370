"""Reading an analyst's CSV and deciding what each column is, so `fit` and `predict` read values identically.

The rules are the documented contract of `salesops scoring`:

* Cells are read as text. Blank, NA, N/A, NaN, NaT, null, None and #N/A (any case) are missing.
* Numeric: every non-missing cell parses as a number. Infinite values count as missing.
* Date: every non-missing cell looks like an ISO date (2024-03-31, optionally with a time and offset) or a US
  date (3/31/2024). A date becomes three numeric features: `<col>__days` (days since 1970-01-01),
  `<col>__month` and `<col>__weekday`.
* Categorical: anything else. Values are trimmed and lower-cased; the `MAX_CATEGORIES` most frequent are kept
  and the rest, and values first seen at predict time, become "(other)".
* Ignored, with the reason reported: columns entirely missing; constant columns without missing cells;
  identifiers, i.e. a name like id, *_id, *Id, uuid, guid, key, *_key, row, row_num, index or "Unnamed: 0"
  with all values distinct; text columns with all values distinct (names, emails, free text); integer columns
  that are a row numbering (distinct and consecutive). An identifier-named column with repeated values (an
  owner_id, say) is kept as a categorical feature.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class ScoringInputError(ValueError):
    """A problem with the analyst's data or model directory, reported as one clear line."""


MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "nat", "null", "none", "#n/a", "<na>"})
MAX_CATEGORIES = 100
OTHER = "(other)"
ID_NAME = re.compile(r"(?i:^(id|uuid|guid|key|index|row|row_?num(ber)?|unnamed: ?\d+)$|[_ .-](id|uuid|guid|key)$)"
                     r"|[a-z]I[dD]$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
DATE_FORMATS = {"ISO8601": ISO_DATE, "%m/%d/%Y": US_DATE}
DATE_PARTS = ("days", "month", "weekday")
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def read_table(path: str | Path) -> pd.DataFrame:
    """All cells as text, exactly as written (so predictions can echo the input unchanged)."""
    path = Path(path)
    if not path.is_file():
        raise ScoringInputError(f"input file {path} not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ScoringInputError(f"input file {path} is empty") from None
    except UnicodeDecodeError:
        raise ScoringInputError(f"input file {path} is not UTF-8 text") from None
    if frame.empty:
        raise ScoringInputError(f"input file {path} has no data rows")
    return frame


def _text(column: pd.Series) -> pd.Series:
    """Trimmed text of a column of any dtype, missing cells as NaN."""
    text = column.astype(str).str.strip()
    return text.where(~text.str.casefold().isin(MISSING_TOKENS))


def _numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce").astype(float)


def _dates(text: pd.Series, date_format: str) -> pd.Series:
    return pd.to_datetime(text, format=date_format, errors="coerce", utc=True)


def _date_format(present: pd.Series) -> str | None:
    for date_format, pattern in DATE_FORMATS.items():
        if present.str.fullmatch(pattern).all() and _dates(present, date_format).notna().all():
            return date_format
    return None


def _infer(name: str, column: pd.Series) -> dict[str, Any] | str:
    """A feature spec for the column, or the reason it is ignored."""
    text = _text(column)
    missing = text.isna()
    present = text.dropna()
    if present.empty:
        return "all values missing"
    if present.nunique() == 1 and not missing.any():
        return "constant"
    distinct = present.is_unique
    if ID_NAME.search(name):
        if distinct:
            return "identifier (id-like name, every value distinct)"
        return _categorical(name, present)
    numbers = _numbers(present)
    if numbers.notna().all():
        integers = bool((numbers == numbers.round()).all())
        if integers and distinct and not missing.any() and numbers.max() - numbers.min() == len(numbers) - 1:
            return "row number (distinct consecutive integers)"
        return {"name": name, "kind": "numeric"}
    date_format = _date_format(present)
    if date_format:
        return {"name": name, "kind": "date", "format": date_format}
    if distinct:
        return "every value distinct (identifier or free text)"
    return _categorical(name, present)


def _categorical(name: str, present: pd.Series) -> dict[str, Any]:
    counts = present.str.casefold().value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_CATEGORIES]
    return {"name": name, "kind": "categorical", "categories": [value for value, _ in ranked]}


class TabularSchema(TransformerMixin, BaseEstimator):
    """Learns the column rules above from the training features and turns any later table into model input:
    float columns plus pandas `category` columns with the training categories."""

    def fit(self, X: pd.DataFrame, y: object = None) -> TabularSchema:
        inferred = {name: _infer(name, X[name]) for name in X.columns}
        self.features_ = [spec for spec in inferred.values() if isinstance(spec, dict)]
        self.ignored_ = {name: reason for name, reason in inferred.items() if isinstance(reason, str)}
        if not self.features_:
            raise ScoringInputError(f"no usable feature columns; ignored: {self.ignored_}")
        return self

    @property
    def categorical_features_(self) -> list[str]:
        return [spec["name"] for spec in self.features_ if spec["kind"] == "categorical"]

    @property
    def numeric_features_(self) -> list[str]:
        return [name for name in self.get_feature_names_out() if name not in self.categorical_features_]

    def get_feature_names_out(self, input_features: object = None) -> list[str]:
        return [name for spec in self.features_ for name in _output_names(spec)]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        absent = [spec["name"] for spec in self.features_ if spec["name"] not in X.columns]
        if absent:
            raise ScoringInputError(f"input lacks feature column(s) {absent} the model was fitted with; "
                                    f"it needs {[spec['name'] for spec in self.features_]}")
        columns: dict[str, pd.Series] = {}
        for spec in self.features_:
            columns.update(zip(_output_names(spec), _cast(spec, X[spec["name"]]), strict=True))
        return pd.DataFrame(columns, index=X.index)


def _output_names(spec: dict[str, Any]) -> list[str]:
    return [f"{spec['name']}__{part}" for part in DATE_PARTS] if spec["kind"] == "date" else [spec["name"]]


def _cast(spec: dict[str, Any], column: pd.Series) -> list[pd.Series]:
    text = _text(column)
    if spec["kind"] == "categorical":
        folded = text.str.casefold()
        known = folded.where(folded.isin(spec["categories"]) | folded.isna(), OTHER)
        return [known.astype(pd.CategoricalDtype([*spec["categories"], OTHER]))]
    numeric = spec["kind"] == "numeric"
    values = _numbers(text) if numeric else _dates(text, spec["format"])
    unreadable = values.isna() & text.notna()
    if unreadable.any():
        kind = "numeric" if numeric else f"a date ({spec['format']})"
        raise ScoringInputError(f"column {spec['name']!r} was {kind} when the model was fitted but has "
                                f"{int(unreadable.sum())} value(s) that are not, e.g. {text[unreadable].iloc[0]!r}")
    if numeric:
        return [values.where(np.isfinite(values))]
    return [(values - EPOCH) / pd.Timedelta(days=1), values.dt.month.astype(float), values.dt.day_of_week.astype(float)]
