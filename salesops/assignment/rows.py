"""Turn an incoming row (sheet, CSV, CRM batch, webhook) into what the engine stores, or into a quarantine record.

Validation is `ingestion.lead_rows.validate_lead_row`, the same rules the dlt sheet load applies, so a lead is
the same lead whichever path it came by. This module only adds what the engine needs on top: header keys in
any spelling, the row's stable id for idempotency, an optional lead score, and a JSON-safe copy of a bad row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ingestion.lead_rows import clean_text, header_key, validate_lead_row


@dataclass(frozen=True)
class PreparedLead:
    """A valid lead, normalised (E.164 phone, aware timestamp, canonical state), ready for `ops.assign_lead`."""

    name: str
    phone: str
    timestamp: datetime
    lead_source: str | None
    city: str | None
    state: str | None
    language: str | None
    metadata: dict[str, Any]
    source_row_id: str | None
    external_id: str | None
    warnings: tuple[str, ...]
    score: float | None


@dataclass(frozen=True)
class RejectedRow:
    """A row that cannot be a lead: kept in `ops.lead_quarantine` with its reasons and raw cells."""

    source_row_id: str | None
    raw: dict[str, Any]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


def lead_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row keyed by `header_key`; a metadata dict (CRM, webhook JSON) becomes the JSON text the sheet has."""
    record = {header_key(key): value for key, value in row.items()}
    if isinstance(record.get("metadata"), Mapping):
        record["metadata"] = json.dumps(record["metadata"], default=str)
    return record


def prepare_row(row: Mapping[str, Any]) -> PreparedLead | RejectedRow:
    """Validate one row. Optional keys besides the lead fields: `source_row_id` (stable id of the row at its
    source, e.g. `sheets:Leads:42`, makes retries no-ops even when cells were retyped), `external_id` (the
    lead's id elsewhere, default the metadata's `lead_id`; used to look up ML scores) and `lead_score`."""
    record = lead_record(row)
    source_row_id = clean_text(record.get("source_row_id")) or None
    result = validate_lead_row(record)
    warnings = list(result.warnings)
    if result.lead is None:
        raw = {str(key): _jsonable(value) for key, value in row.items()}
        return RejectedRow(source_row_id, raw, tuple(result.errors), tuple(warnings))
    lead = result.lead
    score = _score(record.get("lead_score"), warnings)
    return PreparedLead(
        name=lead["name"],
        phone=lead["phone"],
        timestamp=lead["lead_timestamp"],
        lead_source=lead["lead_source"],
        city=lead["city"],
        state=lead["state"],
        language=lead["language"],
        metadata=lead["metadata"],
        source_row_id=source_row_id,
        external_id=clean_text(record.get("external_id")) or lead["lead_id"],
        warnings=tuple(warnings),
        score=score,
    )


def read_lead_csv(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a leads CSV (header row; columns as in the Leads sheet, any spelling), each with a
    `source_row_id` of `csv:<first 16 hex of the file's SHA-256>:<line>`. The digest, not the file name, names
    the file: re-running the same file (or many processes reading it at once) finds the same ids, while
    another file that happens to share the name cannot shadow its rows. Blank lines are skipped."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            if not any(clean_text(value) for value in record.values() if isinstance(value, str)):
                continue
            yield {**record, "source_row_id": f"csv:{digest}:{reader.line_num}"}


def _score(value: Any, warnings: list[str]) -> float | None:
    """A finite number, or None (a bad score is a warning, never a reason to refuse the lead)."""
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return None
    try:
        score = float(clean_text(value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        score = math.nan
    if not math.isfinite(score):
        warnings.append(f"lead score {value!r} is not a number; ignored")
        return None
    return score


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)
