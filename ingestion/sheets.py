"""dlt source for the Google Sheets API v4: the Leads, Callers and Targets tabs.

Leads is an append-only log (a form writes it), so it loads incrementally by sheet row number:
each run asks only for rows after the last one seen, in bounded chunks. Every row is validated;
bad rows go to `leads_quarantine` with the reasons and the raw cells, keyed by row number so reruns
never duplicate either table. Callers and Targets are small and edited in place: they merge on
their natural keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator

from ingestion.errors import auth_error
from ingestion.lead_rows import LEAD_FIELDS, clean_text, header_key, split_list, validate_lead_row

ROW_CHUNK = 10_000
LEADS_TAB = "Leads"
CALLER_STATUSES = ("active", "paused", "inactive")
def _column_letter(count: int) -> str:
    letters = ""
    while count:
        count, remainder = divmod(count - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class SheetReader:
    """Reads value ranges of one spreadsheet with dlt's REST client (retries, auth, timeouts)."""

    def __init__(self, base_url: str, api_key: str, spreadsheet_id: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.client = RESTClient(base_url=base_url, auth=APIKeyAuth(name="key", api_key=api_key, location="query"),
                                 paginator=SinglePagePaginator())

    def values(self, a1_range: str) -> list[list[str]]:
        response = self.client.get(f"/v4/spreadsheets/{self.spreadsheet_id}/values/{a1_range}")
        if response.status_code == 400 and "exceeds grid limits" in response.text:
            return []  # Google's answer to a range below the sheet's last row: nothing more to read
        if response.status_code >= 400:  # never raise_for_status: its message carries the API key
            if response.status_code in (401, 403) or "API key" in response.text:
                raise auth_error("sheets", response)
            raise RuntimeError(f"sheets: {response.status_code} reading range {a1_range!r}: {response.text[:300]}")
        return response.json().get("values", [])

    def records(self, tab: str) -> Iterator[dict[str, str]]:
        """Every data row of a small tab as a dict keyed by normalised header names."""
        rows = self.values(tab)
        if not rows:
            return
        headers = [header_key(h) for h in rows[0]]
        for row in rows[1:]:
            yield {key: (row[i] if i < len(row) else "") for i, key in enumerate(headers)}


@dlt.source(name="sheets", max_table_nesting=0)
def sheets_source(base_url: str, api_key: str, spreadsheet_id: str, row_chunk: int = ROW_CHUNK) -> Any:
    """The sales team's Google Sheet: leads (with quarantine), callers and revenue targets."""
    reader = SheetReader(base_url, api_key, spreadsheet_id)

    @dlt.resource(name="leads", primary_key="row_number", write_disposition="merge",
                  columns={"metadata": {"data_type": "json"}, "lead_timestamp": {"data_type": "timestamp"},
                           "validation_warnings": {"data_type": "json"}})
    def leads(row_number: dlt.sources.incremental[int] = dlt.sources.incremental("row_number", initial_value=1)
              ) -> Iterator[Any]:
        header = reader.values(f"{LEADS_TAB}!1:1")
        if not header:
            return
        keys = [header_key(h) for h in header[0]]
        last_column = _column_letter(len(keys))
        seen: dict[tuple[str, datetime], int] = {}
        start = int(row_number.last_value or 1) + 1
        loaded_at = datetime.now(UTC)
        while True:
            end = start + row_chunk - 1
            rows = reader.values(f"{LEADS_TAB}!A{start}:{last_column}{end}")
            for offset, cells in enumerate(rows):
                sheet_row = start + offset
                if not any(clean_text(c) for c in cells):
                    continue  # a blank line someone left in the sheet carries no lead
                raw = {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(keys)}
                yield from _lead_or_quarantine(sheet_row, raw, cells, seen, loaded_at)
            if len(rows) < row_chunk:
                return
            start = end + 1

    @dlt.resource(name="callers", primary_key="name", write_disposition="merge",
                  columns={"languages": {"data_type": "json"}, "states": {"data_type": "json"}})
    def callers() -> Iterator[dict[str, Any]]:
        for record in reader.records("Callers"):
            name = clean_text(record.get("name"))
            if not name:
                continue
            limit = clean_text(record.get("daily_limit")) or "0"
            status = (clean_text(record.get("status")) or "active").lower()
            # a typo must not silently become 0 (= unlimited) or an unknown status: quarantine the row
            errors = ([] if limit.isdigit() else [f"daily limit {limit!r} is not a whole number >= 0"]) + (
                [] if status in CALLER_STATUSES else [f"status {status!r} is not one of {', '.join(CALLER_STATUSES)}"])
            if errors:
                yield dlt.mark.with_hints(
                    {"name": name, "raw_values": record, "reasons": errors, "quarantined_at": datetime.now(UTC)},
                    dlt.mark.make_hints(table_name="callers_quarantine", primary_key="name", write_disposition="merge",
                                        columns={"raw_values": {"data_type": "json"},
                                                 "reasons": {"data_type": "json"}}),
                    create_table_variant=True,
                )
                continue
            yield {
                "name": name,
                "role": clean_text(record.get("role")) or None,
                "languages": split_list(record.get("languages", "")),
                "daily_limit": int(limit),
                "states": split_list(record.get("states", "")),
                "status": status,
            }

    @dlt.resource(name="targets", primary_key=("period_start", "period_grain", "region"), write_disposition="merge",
                  columns={"period_start": {"data_type": "date"}, "target_amount": {"data_type": "decimal"}})
    def targets() -> Iterator[dict[str, Any]]:
        for record in reader.records("Targets"):
            yield {
                "period_start": clean_text(record.get("period_start")),
                "period_grain": clean_text(record.get("period_grain")).lower(),
                "region": clean_text(record.get("region")),
                "target_amount": clean_text(record.get("target_amount")).replace(",", ""),
            }

    return leads, callers, targets


def _lead_or_quarantine(sheet_row: int, raw: dict[str, str], cells: list[str],
                        seen: dict[tuple[str, datetime], int], loaded_at: datetime) -> Iterator[Any]:
    """Yield a clean lead, or a quarantine record explaining why the row cannot be one."""
    result = validate_lead_row({key: raw.get(key, "") for key in LEAD_FIELDS})
    errors = list(result.errors)
    if result.lead is not None:
        key = (result.lead["phone"], result.lead["lead_timestamp"])
        if key in seen:
            errors.append(f"duplicate of sheet row {seen[key]} (same phone and timestamp)")
        else:
            seen[key] = sheet_row
    if errors:
        yield dlt.mark.with_hints(
            {"row_number": sheet_row, "raw_values": cells, "reasons": errors, "quarantined_at": loaded_at},
            dlt.mark.make_hints(table_name="leads_quarantine", primary_key="row_number", write_disposition="merge",
                                columns={"raw_values": {"data_type": "json"}, "reasons": {"data_type": "json"}}),
            create_table_variant=True,
        )
        return
    assert result.lead is not None
    yield {"row_number": sheet_row, **result.lead, "validation_warnings": result.warnings, "loaded_at": loaded_at}
