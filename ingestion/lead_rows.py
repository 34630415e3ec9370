"""Cleaning and validation of one Leads-sheet row.

People type leads into a Google Sheet (or a form writes them): phones in every format, stray
whitespace, full-width digits pasted from chat apps, timestamps a form or a human wrote. This module
turns a raw row into a clean lead, or explains why it cannot (the row then goes to quarantine with
those reasons, never silently dropped). The assignment engine reuses the same rules, so a lead is
the same lead whichever path it arrived by.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from salesops.geography import canonical_state, city_to_state

BUSINESS_TIMEZONE = ZoneInfo("Asia/Kolkata")
DEFAULT_PHONE_REGION = "IN"
LEAD_FIELDS = ("name", "phone", "timestamp", "lead_source", "city", "state", "language", "metadata")
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")


def clean_text(value: Any) -> str:
    """NFKC-normalise (full-width digits, non-breaking spaces), drop zero-width marks, squeeze spaces."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE)
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1024)
def header_key(header: Any) -> str:
    """`Lead Source`, `lead source` and `lead_source` all name the same column (cached: headers repeat)."""
    return clean_text(header).lower().replace(" ", "_")


def split_list(value: Any) -> list[str]:
    """A `;`-separated sheet cell (or an already split list) as clean, non-empty strings."""
    if value is None:
        return []
    parts = value if isinstance(value, list | tuple) else str(value).split(";")
    return [text for text in (clean_text(part) for part in parts) if text]


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """E.164 form of a phone number (`+919876543210`), or None when it is not a valid number."""
    text = clean_text(raw)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_sheet_timestamp(raw: str) -> datetime | None:
    """A timezone-aware timestamp; naive sheet values are business-timezone local time."""
    text = clean_text(raw)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in TIMESTAMP_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BUSINESS_TIMEZONE)


@dataclass
class LeadRowResult:
    """A row's verdict: `lead` is set when it is valid; `errors` send it to quarantine."""

    lead: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validate_lead_row(row: dict[str, Any]) -> LeadRowResult:
    """Validate and normalise one row keyed by `LEAD_FIELDS` (missing keys count as empty)."""
    values = {key: clean_text(row.get(key)) for key in LEAD_FIELDS}
    errors: list[str] = []
    warnings: list[str] = []

    if not values["name"]:
        errors.append("missing name")
    phone = normalize_phone(values["phone"])
    if not values["phone"]:
        errors.append("missing phone")
    elif phone is None:
        errors.append(f"invalid phone number {values['phone']!r}")
    timestamp = parse_sheet_timestamp(values["timestamp"])
    if not values["timestamp"]:
        errors.append("missing timestamp")
    elif timestamp is None:
        errors.append(f"unparseable timestamp {values['timestamp']!r}")
    metadata: dict[str, Any] = {}
    if values["metadata"]:
        try:
            parsed = json.loads(values["metadata"])
        except json.JSONDecodeError:
            errors.append("metadata is not valid JSON")
        else:
            if isinstance(parsed, dict):
                metadata = parsed
            else:
                errors.append("metadata is not a JSON object")

    state = canonical_state(values["state"]) if values["state"] else None
    if state is None:
        from_city = city_to_state(values["city"]) if values["city"] else None
        if values["state"]:
            warnings.append(f"unknown state {values['state']!r}" + (f", resolved from city {values['city']!r}"
                                                                    if from_city else ""))
        elif from_city:
            warnings.append(f"state missing, resolved from city {values['city']!r}")
        state = from_city
        if state is None and (values["state"] or values["city"]):
            warnings.append("state unresolved: routes to the global pool")

    if errors:
        return LeadRowResult(lead=None, errors=errors, warnings=warnings)
    assert timestamp is not None
    return LeadRowResult(
        lead={
            "name": values["name"],
            "phone": phone,
            "phone_raw": values["phone"],
            "lead_timestamp": timestamp,
            "timestamp_raw": values["timestamp"],
            "lead_source": values["lead_source"] or None,
            "city": values["city"] or None,
            "state": state,
            "state_raw": values["state"] or None,
            "language": values["language"] or None,
            "lead_id": str(metadata["lead_id"]) if metadata.get("lead_id") is not None else None,
            "metadata": metadata,
        },
        warnings=warnings,
    )
