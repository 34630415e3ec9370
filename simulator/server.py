"""HTTP simulator of HubSpot (CRM v3, Marketing) and the Google Sheets API v4 over a generated World.

The World already holds every record in API shape; this module only pages, filters, authenticates and
serialises it the way the vendors do, so ingestion code written against the simulator works against the
real services with configuration only. It is stdlib-only so it starts fast and runs anywhere, and it is
deterministic: the same world gives byte-identical bodies (even error correlation ids are derived from
the request). Contract: docs/source-systems.md.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import gc
import json
import operator
import os
import re
import signal
import socket
import threading
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

if TYPE_CHECKING:
    from simulator.live import LiveLeadFeed

CRM_TYPES = ("companies", "contacts", "deals", "calls", "emails", "meetings", "products", "goal_targets")
# HubSpot accepts singular names and object type ids wherever an object type goes.
CRM_TYPE_ALIASES = {
    **{name: name for name in CRM_TYPES},
    **{name[:-1]: name for name in CRM_TYPES if name != "companies"},
    "company": "companies",
    "0-1": "contacts",
    "0-2": "companies",
    "0-3": "deals",
    "0-48": "calls",
    "0-49": "emails",
    "0-47": "meetings",
    "0-7": "products",
    "0-74": "goal_targets",
}
# What HubSpot returns when a request names no properties.
DEFAULT_PROPERTIES = {
    "companies": ("name", "domain"),
    "contacts": ("firstname", "lastname", "email"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate"),
    "calls": (),
    "emails": (),
    "meetings": (),
    "products": ("name", "price", "hs_sku"),
    "goal_targets": ("hs_goal_name", "hs_target_amount", "hs_start_datetime", "hs_end_datetime"),
}
ALWAYS_PROPERTIES = ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")
LIST_LIMIT, HISTORY_LIMIT, SEARCH_LIMIT, EVENTS_LIMIT = 100, 50, 200, 1000
SEARCH_MAX_GROUPS, SEARCH_MAX_FILTERS = 5, 6
LEADS_TAB = "Leads"
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_HUBSPOT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    500: "INTERNAL_ERROR",
}
_GOOGLE_STATUSES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    500: "INTERNAL",
}
_COMPARISONS = {
    "EQ": operator.eq,
    "GT": operator.gt,
    "GTE": operator.ge,
    "LT": operator.lt,
    "LTE": operator.le,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ISO_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class SimulatorConfig:
    """Everything that decides what the simulator serves and how clients must authenticate."""

    seed: int = 42
    scale: float = 1.0
    as_of: date = date(2026, 11, 20)
    host: str = "127.0.0.1"
    port: int = 0
    hubspot_token: str = "sim-hubspot-token"
    marketing_token: str | None = None  # HubSpot uses one private-app token for both; None means that one
    sheets_api_key: str = "sim-sheets-key"
    spreadsheet_id: str = "sim-sales-sheet"
    search_result_cap: int = 10_000
    log_requests: bool = False

    def __post_init__(self) -> None:
        if self.marketing_token is None:
            self.marketing_token = self.hubspot_token


class ApiError(Exception):
    """A client error; the dispatcher renders it in the style (and category) of the vendor called."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Value helpers


def to_epoch_ms(value: Any) -> int:
    """Epoch millis from epoch-millis text, an ISO timestamp (naive = UTC) or an ISO date (UTC midnight)."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


def iso_ms(epoch_ms: int) -> str:
    """The canonical timestamp text (`2025-03-04T05:06:07.123Z`) the World uses, so it compares as text."""
    return (
        (_EPOCH + timedelta(milliseconds=epoch_ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _comparable(value: Any) -> tuple[int, float | str] | None:
    """Sortable form of a property string: numbers and dates compare numerically, text caselessly."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return (0, float(text))
    if _ISO_DATE_PREFIX.match(text):
        try:
            return (0, float(to_epoch_ms(text)))
        except ValueError:
            pass
    return (1, text.lower())


def _encode_cursor(key: tuple[Any, ...]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")
    )


def _decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ApiError(400, f"Invalid paging cursor: {cursor!r}") from exc
    if not isinstance(key, list):
        raise ApiError(400, f"Invalid paging cursor: {cursor!r}")
    return tuple(key)


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _trimmed_width(row: Sequence[Any]) -> int:
    """Cells up to the last non-empty one: Google never returns trailing empty cells."""
    width = len(row)
    while width and (row[width - 1] is None or row[width - 1] == ""):
        width -= 1
    return width


# ---------------------------------------------------------------------------------------------------------
# Indexes


class SortedView:
    """Items in cursor order with their sort keys, so a page starts with one bisect wherever the cursor is."""

    def __init__(
        self, items: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]]
    ) -> None:
        pairs = sorted(((key(item), item) for item in items), key=lambda pair: pair[0])
        self.keys = [pair[0] for pair in pairs]
        self.items = [pair[1] for pair in pairs]

    def position(self, cursor: str | None) -> int:
        if cursor is None:
            return 0
        try:
            return bisect.bisect_left(self.keys, _decode_cursor(cursor))
        except TypeError as exc:  # a cursor minted by another endpoint
            raise ApiError(400, f"Invalid paging cursor: {cursor!r}") from exc

    def key_range(self, low: tuple[Any, ...] | None, high: tuple[Any, ...] | None) -> tuple[int, int]:
        """Positions of the items with low <= key < high (None = unbounded)."""
        start = 0 if low is None else bisect.bisect_left(self.keys, low)
        end = len(self.keys) if high is None else bisect.bisect_left(self.keys, high)
        return start, end


class CrmIndex(SortedView):
    """One CRM collection (one archived state) in id order, with lookups built on first use."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        super().__init__(records, key=lambda record: (int(record["id"]),))

    @cached_property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {record["id"]: record for record in self.items}

    @cached_property
    def by_modified(self) -> SortedView:
        """Search's incremental view; canonical ISO strings (ms, Z) sort like the instants they name."""
        return SortedView(self.items, key=lambda record: (_modified(record), int(record["id"])))


def _event_key(event: dict[str, Any]) -> tuple[str, str]:
    return event["occurredAt"], event["id"]


def _modified(record: dict[str, Any]) -> str:
    return record["properties"].get("hs_lastmodifieddate") or record["updatedAt"]


def _singular(object_type: str) -> str:
    """`companies` -> `company`, `calls` -> `call`: the words of HubSpot's association labels."""
    return object_type[:-3] + "y" if object_type.endswith("ies") else object_type.rstrip("s")


def _property(record: dict[str, Any], name: str) -> Any:
    if name == "hs_object_id":
        return record["properties"].get(name) or record["id"]
    return record["properties"].get(name)


# ---------------------------------------------------------------------------------------------------------
# Requests


@dataclass
class Request:
    """One parsed HTTP request, with typed accessors that fail as 400s."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    base_url: str

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def int_arg(self, name: str, default: int, maximum: int | None = None) -> int:
        """An integer parameter; above `maximum` it is clamped, as HubSpot's list endpoints do."""
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(400, f"Invalid value for {name}: {raw!r}") from exc
        if value < 1:
            raise ApiError(400, f"{name} must be positive")
        return value if maximum is None else min(value, maximum)

    def bool_arg(self, name: str) -> bool:
        return (self.arg(name) or "false").lower() == "true"

    def list_arg(self, name: str) -> list[str] | None:
        """Comma-separated and/or repeated values (HubSpot accepts both); None when absent."""
        if name not in self.query:
            return None
        return [item.strip() for value in self.query[name] for item in value.split(",") if item.strip()]

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            payload = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Invalid input JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise ApiError(400, "Invalid input JSON: expected an object")
        return payload

    def page_link(self, cursor: str) -> str:
        """The `paging.next.link` HubSpot returns: this request's URL with `after` replaced."""
        params = [(name, value) for name, values in self.query.items() if name != "after" for value in values]
        return f"{self.base_url}{self.path}?{urlencode([*params, ('after', cursor)])}"


def _page(
    request: Request,
    view: SortedView,
    limit: int,
    *,
    bounds: tuple[int, int] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a cursor-paged listing and its HubSpot `paging` object (None on the last page)."""
    start, end = bounds or (0, len(view.items))
    position = max(start, view.position(request.arg("after")))
    if keep is None:
        stop = min(position + limit, end)
        page = view.items[position:stop]
    else:
        page = []
        stop = position
        while stop < end and len(page) < limit:
            if keep(view.items[stop]):
                page.append(view.items[stop])
            stop += 1
        while stop < end and not keep(view.items[stop]):
            stop += 1
    if stop >= end:
        return page, None
    cursor = _encode_cursor(view.keys[stop])
    return page, {"next": {"after": cursor, "link": request.page_link(cursor)}}


def _listing(results: list[dict[str, Any]], paging: dict[str, Any] | None) -> dict[str, Any]:
    return {"results": results, "paging": paging} if paging else {"results": results}


# ---------------------------------------------------------------------------------------------------------
# CRM search


@dataclass(frozen=True)
class _Filter:
    """One HubSpot search filter, parsed once per query."""

    name: str
    operator: str
    value: Any = None
    high: Any = None
    values: tuple[Any, ...] = ()

    _RANGE_OPERATORS = frozenset({"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"})

    @classmethod
    def parse(cls, raw: Any) -> _Filter:
        if not isinstance(raw, dict) or not raw.get("propertyName") or not raw.get("operator"):
            raise ApiError(400, "Each filter needs propertyName and operator")
        op = str(raw["operator"]).upper()
        if op not in {*cls._RANGE_OPERATORS, "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}:
            raise ApiError(400, f"Unsupported filter operator {op}")
        values = raw.get("values") or ()
        if op in {"IN", "NOT_IN"} and not values:
            raise ApiError(400, f"{op} needs values")
        if op in cls._RANGE_OPERATORS and raw.get("value") is None:
            raise ApiError(400, f"{op} needs a value")
        if op == "BETWEEN" and raw.get("highValue") is None:
            raise ApiError(400, "BETWEEN needs highValue")
        return cls(
            str(raw["propertyName"]),
            op,
            _comparable(raw.get("value")),
            _comparable(raw.get("highValue")),
            tuple(_comparable(value) for value in values),
        )

    def matches(self, record: dict[str, Any]) -> bool:
        actual = _comparable(_property(record, self.name))
        op = self.operator
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return (actual is not None) == (op == "HAS_PROPERTY")
        if op == "NEQ":
            return actual != self.value
        if op == "NOT_IN":
            return actual not in self.values
        if actual is None:
            return False
        if op == "IN":
            return actual in self.values
        if op == "BETWEEN":
            return self.value <= actual <= self.high
        return _COMPARISONS[op](actual, self.value)

    def modified_bounds(self) -> tuple[int | None, int | None] | None:
        """Inclusive millis bounds when this filter can narrow on the last-modified view, else None."""
        op = self.operator
        if self.name != "hs_lastmodifieddate" or op not in self._RANGE_OPERATORS:
            return None
        if self.value[0] != 0 or (op == "BETWEEN" and self.high[0] != 0):
            raise ApiError(400, "hs_lastmodifieddate filters take epoch millis or ISO-8601 values")
        value = int(self.value[1])
        if op == "BETWEEN":
            return value, int(self.high[1])
        low = value + (op == "GT") if op in ("EQ", "GT", "GTE") else None
        high = value - (op == "LT") if op in ("EQ", "LT", "LTE") else None
        return low, high


def _search(index: CrmIndex, body: dict[str, Any]) -> list[dict[str, Any]]:
    """All records matching `filterGroups` (OR of ANDs) in `sorts` order (then id), as HubSpot search does."""
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or len(groups) > SEARCH_MAX_GROUPS:
        raise ApiError(400, f"filterGroups must be a list of at most {SEARCH_MAX_GROUPS} groups")
    if not groups:
        matched = list(index.items)
    else:
        by_id: dict[str, dict[str, Any]] = {}
        for group in groups:
            raw_filters = group.get("filters") if isinstance(group, dict) else None
            if not isinstance(raw_filters, list) or len(raw_filters) > SEARCH_MAX_FILTERS:
                raise ApiError(400, f"Each filter group needs a list of at most {SEARCH_MAX_FILTERS} filters")
            by_id.update(
                (record["id"], record)
                for record in _group_matches(index, [_Filter.parse(raw) for raw in raw_filters])
            )
        matched = sorted(by_id.values(), key=lambda record: int(record["id"]))
    for sort in reversed(body.get("sorts") or []):
        name, descending = _parse_sort(sort)
        if name == "hs_lastmodifieddate":
            matched.sort(key=_modified, reverse=descending)
        else:
            matched.sort(
                key=lambda record: _comparable(_property(record, name)) or (2, ""), reverse=descending
            )
    return matched


def _group_matches(index: CrmIndex, filters: list[_Filter]) -> list[dict[str, Any]]:
    low: int | None = None
    high: int | None = None
    rest = []
    for item in filters:
        bounds = item.modified_bounds()
        if bounds is None:
            rest.append(item)
            continue
        if bounds[0] is not None:
            low = bounds[0] if low is None else max(low, bounds[0])
        if bounds[1] is not None:
            high = bounds[1] if high is None else min(high, bounds[1])
    if low is None and high is None:
        candidates = index.items
    else:
        start, end = index.by_modified.key_range(
            None if low is None else (iso_ms(low),), None if high is None else (iso_ms(high + 1),)
        )
        candidates = index.by_modified.items[start:end]
    return [record for record in candidates if all(item.matches(record) for item in rest)]


def _parse_sort(sort: Any) -> tuple[str, bool]:
    """HubSpot takes `{propertyName, direction}` objects or bare names (`-name` for descending)."""
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    if isinstance(sort, dict) and sort.get("propertyName"):
        return str(sort["propertyName"]), str(sort.get("direction", "ASCENDING")).upper().startswith("DESC")
    raise ApiError(400, f"Invalid sort: {sort!r}")


# ---------------------------------------------------------------------------------------------------------
# Google Sheets A1 ranges


@dataclass(frozen=True)
class A1Range:
    """A parsed A1 range: 1-based inclusive bounds, None where the range is open-ended."""

    tab: str
    first_row: int
    first_col: int
    last_row: int | None
    last_col: int | None


_A1_PART = re.compile(r"([A-Za-z]{0,3})(\d*)")


def parse_a1(text: str, tabs: Sequence[str]) -> A1Range:
    """Parse `Tab`, `Tab!A1:H`, `Tab!A2:H500`, `Tab!1:1`, `Tab!A:H`, `'Quoted tab'!A1`, or a bare range."""
    error = ApiError(400, f"Unable to parse range: {text}")
    if text.startswith("'"):
        closing = re.match(r"'((?:[^']|'')*)'(?:!(.*))?$", text)
        if closing is None:
            raise error
        tab, cells = closing.group(1).replace("''", "'"), closing.group(2)
    elif "!" in text:
        tab, cells = text.rsplit("!", 1)
    elif _find_tab(text, tabs):
        tab, cells = text, None
    else:
        tab, cells = tabs[0] if tabs else "", text
    found = _find_tab(tab, tabs)
    if found is None:
        raise error
    if not cells:
        return A1Range(found, 1, 1, None, None)
    parts = cells.split(":")
    if len(parts) > 2:
        raise error
    parsed = []
    for part in parts:
        match = _A1_PART.fullmatch(part)
        if not part or match is None:
            raise error
        parsed.append((match.group(1), match.group(2)))
    if len(parsed) == 1:
        if not all(parsed[0]):
            raise error
        parsed.append(parsed[0])
    (start_col, start_row), (end_col, end_row) = parsed
    first_row, last_row = int(start_row or 1), int(end_row) if end_row else None
    first_col, last_col = _column_number(start_col or "A"), _column_number(end_col) if end_col else None
    if last_row is not None and last_row < first_row:
        first_row, last_row = last_row, first_row
    if last_col is not None and last_col < first_col:
        first_col, last_col = last_col, first_col
    return A1Range(found, first_row, first_col, last_row, last_col)


def _find_tab(name: str, tabs: Sequence[str]) -> str | None:
    """Sheet names in ranges match case-insensitively, as in Google Sheets."""
    return next((tab for tab in tabs if tab == name), None) or next(
        (tab for tab in tabs if tab.lower() == name.lower()), None
    )


def _quote_tab(tab: str) -> str:
    return (
        tab
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tab) and not _A1_PART.fullmatch(tab)
        else "'" + tab.replace("'", "''") + "'"
    )


def sheet_values(rows: Sequence[Sequence[str]], a1: A1Range, extent: tuple[int, int]) -> dict[str, Any]:
    """A values.get body: the range clipped to the used area, trailing empty cells and rows dropped."""
    used_rows, used_cols = extent
    last_row = (
        max(used_rows, a1.first_row)
        if a1.last_row is None
        else min(a1.last_row, max(used_rows, a1.first_row))
    )
    last_col = (
        max(used_cols, a1.first_col)
        if a1.last_col is None
        else min(a1.last_col, max(used_cols, a1.first_col))
    )
    start = f"{_column_letters(a1.first_col)}{a1.first_row}"
    end = f"{_column_letters(last_col)}{last_row}"
    body: dict[str, Any] = {
        "range": f"{_quote_tab(a1.tab)}!{start}" + (f":{end}" if end != start else ""),
        "majorDimension": "ROWS",
    }
    values = []
    for row in rows[a1.first_row - 1 : last_row]:
        cells = row[a1.first_col - 1 : last_col]
        values.append(["" if cell is None else cell for cell in cells[: _trimmed_width(cells)]])
    while values and not values[-1]:
        values.pop()
    if values:
        body["values"] = values
    return body


def used_extent(rows: Sequence[Sequence[str]]) -> tuple[int, int]:
    """(rows, columns) of the sheet's used area: up to the last non-empty row and column."""
    last_row = last_col = 0
    for number, row in enumerate(rows, start=1):
        width = _trimmed_width(row)
        if width:
            last_row, last_col = number, max(last_col, width)
    return last_row, last_col


# ---------------------------------------------------------------------------------------------------------
# The API


Handler = Callable[["SimulatorApi", Request, "re.Match[str]"], Any]


class SimulatorApi:
    """Routes requests to the World under one lock; indexes are rebuilt lazily after each mutation."""

    def __init__(self, world: Any, config: SimulatorConfig) -> None:
        self.world = world
        self.config = config
        self.lock = threading.RLock()
        self.live_feed: LiveLeadFeed | None = None
        self._views: dict[Any, Any] = {}
        self._searches: OrderedDict[Any, list[dict[str, Any]]] = OrderedDict()
        self._extents: dict[str, tuple[int, int]] = {}

    # -- mutations (all under the lock) ------------------------------------------------------------------

    def advance(self, days: int = 1) -> None:
        """Simulate `days` more days of business; every index is stale afterwards."""
        from simulator.world import advance

        with self.lock:
            advance(self.world, days)
            self._views.clear()
            self._searches.clear()
            self._extents.clear()

    def append_lead_rows(self, rows: Sequence[Sequence[Any]]) -> int:
        """Append raw rows to the Leads tab (a form or a person typing); returns the tab's row count."""
        return self.append_sheet_rows(LEADS_TAB, rows)

    def append_sheet_rows(self, tab: str, rows: Sequence[Sequence[Any]]) -> int:
        """Append raw rows to a tab as someone editing the sheet would; returns the tab's row count."""
        clean = [["" if cell is None else str(cell) for cell in row] for row in rows]
        with self.lock:
            values = self.world.sheets.setdefault(tab, [])
            values.extend(clean)
            self._extents.pop(tab, None)
            return len(values)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            world = self.world
            return {
                "seed": world.seed,
                "scale": world.scale,
                "as_of": _iso(world.as_of),
                "counts": {
                    "owners": len(world.owners),
                    **{name: len(world.crm.get(name, [])) for name in CRM_TYPES},
                    "pipelines": len(world.pipelines),
                    "campaigns": len(world.campaigns),
                    "campaign_daily_rows": sum(len(rows) for rows in world.campaign_daily.values()),
                    "events": len(world.events),
                    "oracle_leads": len(world.oracle_leads),
                },
                "sheets": {tab: len(rows) for tab, rows in world.sheets.items()},
                "live": dict(self.live_feed.appended) if self.live_feed else None,
            }

    # -- dispatch ----------------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> tuple[int, bytes]:
        """Answer one request: (status, JSON body bytes). Serialises under the lock, as records may mutate."""
        parts = urlsplit(target)
        host = headers.get("Host") or f"{self.config.host}:{self.config.port}"
        request = Request(
            method, parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body, f"http://{host}"
        )
        vendor = _vendor(parts.path)
        try:
            self._authenticate(vendor, request)
            with self.lock:
                status, payload = 200, self._route(vendor, request)
                return status, _dumps(payload)
        except ApiError as error:
            return error.status, _dumps(self._error_body(vendor, error, method, target))
        except Exception as exc:  # a simulator bug must still answer, in the vendor's shape
            traceback.print_exc()
            error = ApiError(500, f"Internal simulator error: {exc!r}")
            return error.status, _dumps(self._error_body(vendor, error, method, target))

    def _route(self, vendor: str, request: Request) -> Any:
        known_path = False
        for method, pattern, handler in ROUTES:
            match = pattern.fullmatch(request.path)
            if match:
                known_path = True
                if method == request.method:
                    return handler(self, request, match)
        if known_path:
            raise ApiError(405, f"Method {request.method} not allowed on {request.path}")
        raise ApiError(
            404,
            "Requested entity was not found."
            if vendor == "google"
            else f"Unable to find a resource at {request.path}",
        )

    def _authenticate(self, vendor: str, request: Request) -> None:
        if vendor in ("hubspot", "marketing"):
            token = self.config.hubspot_token if vendor == "hubspot" else self.config.marketing_token
            if request.headers.get("Authorization", "") != f"Bearer {token}":
                raise ApiError(401, AUTH_MESSAGE)
        elif vendor == "google":
            key = request.arg("key")
            if not key:
                raise ApiError(403, "The request is missing a valid API key.")
            if key != self.config.sheets_api_key:
                raise ApiError(400, "API key not valid. Please pass a valid API key.")

    @staticmethod
    def _error_body(vendor: str, error: ApiError, method: str, target: str) -> dict[str, Any]:
        if vendor == "google":
            return {
                "error": {
                    "code": error.status,
                    "message": error.message,
                    "status": _GOOGLE_STATUSES.get(error.status, "INVALID_ARGUMENT"),
                }
            }
        if vendor == "simulator":
            return {"status": "error", "message": error.message}
        return {
            "status": "error",
            "message": error.message,
            "correlationId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{method} {target}")),
            "category": _HUBSPOT_CATEGORIES.get(error.status, "VALIDATION_ERROR"),
        }

    # -- cached views ------------------------------------------------------------------------------------

    def _view(self, key: Any, build: Callable[[], Any]) -> Any:
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = build()
        return view

    def crm_index(self, object_type: str, archived: bool = False) -> tuple[str, CrmIndex]:
        """The canonical type name (`contact`, `0-1` -> `contacts`) and its index."""
        name = CRM_TYPE_ALIASES.get(object_type.lower())
        if name is None:
            raise ApiError(404, f"Unable to infer object type from: {object_type}")
        return name, self._view(
            ("crm", name, archived),
            lambda: CrmIndex(
                record for record in self.world.crm.get(name, []) if bool(record.get("archived")) == archived
            ),
        )

    def reverse_associations(self, owner_type: str, linked_type: str) -> dict[str, list[dict[str, str]]]:
        """Links stored on `linked_type` records pointing at `owner_type`, seen from the owner's side.

        The World stores each association once (an engagement knows its deal); HubSpot answers both
        directions, so a deal listed with `associations=calls` gets its calls from this index.
        """

        def build() -> dict[str, list[dict[str, str]]]:
            links: dict[str, list[dict[str, str]]] = {}
            label = f"{_singular(owner_type)}_to_{_singular(linked_type)}"
            for record in self.world.crm.get(linked_type, []):
                for link in ((record.get("associations") or {}).get(owner_type) or {}).get("results", []):
                    links.setdefault(str(link["id"]), []).append({"id": record["id"], "type": label})
            return links

        return self._view(("reverse", owner_type, linked_type), build)

    def _events_view(self, object_id: str | None) -> SortedView:
        """All events, or one object's (grouped once, so per-contact polling stays cheap)."""
        if object_id is None:
            return self._view("events", lambda: SortedView(self.world.events, key=_event_key))

        def group() -> dict[str, list[dict[str, Any]]]:
            groups: dict[str, list[dict[str, Any]]] = {}
            for event in self.world.events:
                groups.setdefault(str(event["objectId"]), []).append(event)
            return groups

        return SortedView(self._view("events-by-object", group).get(object_id, []), key=_event_key)

    def _sheet_extent(self, tab: str) -> tuple[int, int]:
        if tab not in self._extents:
            self._extents[tab] = used_extent(self.world.sheets[tab])
        return self._extents[tab]

    # -- CRM -------------------------------------------------------------------------------------------

    def list_objects(self, request: Request, match: re.Match[str]) -> Any:
        object_type, index = self.crm_index(match["type"], request.bool_arg("archived"))
        maximum = HISTORY_LIMIT if request.list_arg("propertiesWithHistory") else LIST_LIMIT
        page, paging = _page(request, index, request.int_arg("limit", 10, maximum))
        shape = _RecordShape.from_request(request, object_type, self)
        return _listing([shape.serialise(record) for record in page], paging)

    def get_object(self, request: Request, match: re.Match[str]) -> Any:
        object_type, index = self.crm_index(match["type"], request.bool_arg("archived"))
        record = index.by_id.get(match["id"])
        if record is None:
            raise ApiError(404, f"Object not found.  objectId are usually numeric. ({match['id']})")
        return _RecordShape.from_request(request, object_type, self).serialise(record)

    def search_objects(self, request: Request, match: re.Match[str]) -> Any:
        object_type, index = self.crm_index(match["type"])
        body = request.json()
        limit = _int_field(body, "limit", 10)
        if not 1 <= limit <= SEARCH_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {SEARCH_LIMIT}")
        offset = _int_field(body, "after", 0)
        if offset < 0:
            raise ApiError(400, "after must not be negative")
        if offset >= self.config.search_result_cap:
            raise ApiError(
                400,
                f"There was a problem with the request: paging past "
                f"{self.config.search_result_cap} results is not supported; narrow the filters",
            )
        key = (object_type, json.dumps([body.get("filterGroups"), body.get("sorts")], sort_keys=True))
        matched = self._searches.get(key)
        if matched is None:
            matched = self._searches[key] = _search(index, body)
            while len(self._searches) > 32:
                self._searches.popitem(last=False)
        self._searches.move_to_end(key)
        end = min(offset + limit, len(matched), self.config.search_result_cap)
        properties = body.get("properties")
        shape = _RecordShape(object_type, [str(name) for name in properties] if properties else None)
        result: dict[str, Any] = {
            "total": len(matched),
            "results": [shape.serialise(record) for record in matched[offset:end]],
        }
        if end < len(matched):
            result["paging"] = {"next": {"after": str(end)}}
        return result

    def list_owners(self, request: Request, match: re.Match[str]) -> Any:
        archived = request.bool_arg("archived")
        view = self._view(
            ("owners", archived),
            lambda: SortedView(
                (owner for owner in self.world.owners if bool(owner.get("archived")) == archived),
                key=lambda owner: (int(owner["id"]),),
            ),
        )
        email = (request.arg("email") or "").lower()
        keep = (lambda owner: str(owner.get("email", "")).lower() == email) if email else None
        return _listing(*_page(request, view, request.int_arg("limit", 100, LIST_LIMIT), keep=keep))

    def get_owner(self, request: Request, match: re.Match[str]) -> Any:
        owner = next((owner for owner in self.world.owners if str(owner["id"]) == match["id"]), None)
        if owner is None:
            raise ApiError(404, f"Owner not found: {match['id']}")
        return owner

    def list_pipelines(self, request: Request, match: re.Match[str]) -> Any:
        self._check_pipeline_type(match["type"])
        return {"results": self.world.pipelines}

    def get_pipeline(self, request: Request, match: re.Match[str]) -> Any:
        self._check_pipeline_type(match["type"])
        pipeline = next((item for item in self.world.pipelines if item["id"] == match["id"]), None)
        if pipeline is None:
            raise ApiError(404, f"Unable to find pipeline {match['id']}")
        return pipeline

    @staticmethod
    def _check_pipeline_type(object_type: str) -> None:
        if object_type.lower() not in ("deals", "deal", "0-3"):
            raise ApiError(404, f"Unable to infer object type from: {object_type}")

    # -- Marketing -------------------------------------------------------------------------------------

    def list_campaigns(self, request: Request, match: re.Match[str]) -> Any:
        view = self._view(
            "campaigns", lambda: SortedView(self.world.campaigns, key=lambda item: (item["id"],))
        )
        page, paging = _page(request, view, request.int_arg("limit", 50, LIST_LIMIT))
        names = request.list_arg("properties") or []
        # As HubSpot documents: no `properties` parameter gives an empty properties map.
        results = [
            {
                **campaign,
                "properties": {
                    name: campaign["properties"][name]
                    for name in names
                    if campaign["properties"].get(name) not in (None, "")
                },
            }
            for campaign in page
        ]
        return _listing(results, paging)

    def campaign_daily(self, request: Request, match: re.Match[str]) -> Any:
        guid = match["guid"]
        if guid not in self.world.campaign_daily and not any(
            item["id"] == guid for item in self.world.campaigns
        ):
            raise ApiError(404, f"Campaign {guid} not found")
        view = self._view(
            ("daily", guid),
            lambda: SortedView(
                self.world.campaign_daily.get(guid, []), key=lambda row: (row["date"], row["channel"])
            ),
        )
        low = (_parse_date(request, "startDate").isoformat(),) if request.arg("startDate") else None
        high = (
            ((_parse_date(request, "endDate") + timedelta(days=1)).isoformat(),)
            if request.arg("endDate")
            else None
        )
        page, paging = _page(
            request, view, request.int_arg("limit", 100, EVENTS_LIMIT), bounds=view.key_range(low, high)
        )
        return _listing(page, paging)

    def list_events(self, request: Request, match: re.Match[str]) -> Any:
        object_type = (request.arg("objectType") or "").lower()
        if not object_type:
            raise ApiError(400, "objectType is required")
        view = self._events_view(request.arg("objectId"))
        low = (iso_ms(_time_arg(request, "occurredAfter") + 1),) if request.arg("occurredAfter") else None
        high = (iso_ms(_time_arg(request, "occurredBefore")),) if request.arg("occurredBefore") else None
        event_type = request.arg("eventType")

        def keep(event: dict[str, Any]) -> bool:
            return str(event["objectType"]).lower() == object_type and (
                event_type is None or event["eventType"] == event_type
            )

        return _listing(
            *_page(
                request,
                view,
                request.int_arg("limit", 100, EVENTS_LIMIT),
                bounds=view.key_range(low, high),
                keep=keep,
            )
        )

    # -- Sheets ------------------------------------------------------------------------------------------

    def get_values(self, request: Request, match: re.Match[str]) -> Any:
        if match["sheet"] != self.config.spreadsheet_id:
            raise ApiError(404, "Requested entity was not found.")
        a1 = parse_a1(unquote(match["range"]), list(self.world.sheets))
        return sheet_values(self.world.sheets[a1.tab], a1, self._sheet_extent(a1.tab))

    # -- Control -----------------------------------------------------------------------------------------

    def health(self, request: Request, match: re.Match[str]) -> Any:
        return {
            "status": "ok",
            "as_of": _iso(self.world.as_of),
            "seed": self.world.seed,
            "scale": self.world.scale,
        }

    def control_advance(self, request: Request, match: re.Match[str]) -> Any:
        self.advance(request.int_arg("days", 1))
        return self.health(request, match)

    def control_append_leads(self, request: Request, match: re.Match[str]) -> Any:
        rows = request.json().get("rows")
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, 'Body must be {"rows": [[cell, ...], ...]}')
        return {"appended": len(rows), "rows": self.append_lead_rows(rows)}

    def oracle_leads(self, request: Request, match: re.Match[str]) -> Any:
        view = self._view(
            "oracle", lambda: SortedView(self.world.oracle_leads, key=lambda item: (item["lead_id"],))
        )
        if request.arg("limit") is None and request.arg("after") is None:
            return {"results": view.items}
        return _listing(*_page(request, view, request.int_arg("limit", 1000)))

    def control_summary(self, request: Request, match: re.Match[str]) -> Any:
        return self.summary()


class _RecordShape:
    """What a request asked to see of each CRM record: worked out once per request, applied per record."""

    def __init__(
        self,
        object_type: str,
        properties: Sequence[str] | None,
        history: Sequence[str] = (),
        associations: Sequence[str] = (),
    ) -> None:
        requested = DEFAULT_PROPERTIES[object_type] if properties is None else properties
        self.names = sorted({*requested, *ALWAYS_PROPERTIES})
        self.history = history
        self.associations = associations
        self.reverse: dict[str, dict[str, list[dict[str, str]]]] = {}

    @classmethod
    def from_request(cls, request: Request, object_type: str, api: SimulatorApi | None = None) -> _RecordShape:
        associations = [
            CRM_TYPE_ALIASES.get(name.lower(), name) for name in request.list_arg("associations") or ()
        ]
        shape = cls(
            object_type,
            request.list_arg("properties"),
            request.list_arg("propertiesWithHistory") or (),
            associations,
        )
        if api is not None:
            shape.reverse = {name: api.reverse_associations(object_type, name) for name in associations
                             if name in api.world.crm}
        return shape

    def serialise(self, record: dict[str, Any]) -> dict[str, Any]:
        """Requested properties the record has (the World keeps unset ones as null); unknown names are
        ignored, as HubSpot does."""
        source = record["properties"]
        properties = {
            name: _property(record, name) for name in self.names if name in source or name == "hs_object_id"
        }
        result: dict[str, Any] = {"id": record["id"], "properties": properties}
        if self.history:
            history = record.get("propertiesWithHistory") or {}
            result["propertiesWithHistory"] = {
                name: history.get(name, []) for name in self.history if name in history or name in source
            }
        result.update(
            createdAt=record["createdAt"],
            updatedAt=record["updatedAt"],
            archived=bool(record.get("archived")),
        )
        associations = record.get("associations") or {}
        wanted = {
            name: associations[name]
            for name in self.associations
            if associations.get(name, {}).get("results")
        }
        for name, links in self.reverse.items():
            if name not in wanted and links.get(record["id"]):
                wanted[name] = {"results": links[record["id"]]}
        if wanted:
            result["associations"] = wanted
        return result


def _int_field(body: dict[str, Any], name: str, default: int) -> int:
    raw = body.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Invalid value for {name}: {raw!r}") from exc


def _parse_date(request: Request, name: str) -> date:
    try:
        return date.fromisoformat(request.arg(name) or "")
    except ValueError as exc:
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD)") from exc


def _time_arg(request: Request, name: str) -> int:
    try:
        return to_epoch_ms(request.arg(name))
    except ValueError as exc:
        raise ApiError(400, f"{name} must be an ISO-8601 timestamp or epoch millis") from exc


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return iso_ms((value.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1))
    return value.isoformat()


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _vendor(path: str) -> str:
    if path.startswith("/crm/"):
        return "hubspot"
    if path.startswith(("/marketing/", "/events/")):
        return "marketing"
    if path.startswith("/v4/"):
        return "google"
    return "simulator"


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in (
        ("GET", r"/crm/v3/owners/?", SimulatorApi.list_owners),
        ("GET", r"/crm/v3/owners/(?P<id>\d+)", SimulatorApi.get_owner),
        ("GET", r"/crm/v3/pipelines/(?P<type>[^/]+)", SimulatorApi.list_pipelines),
        ("GET", r"/crm/v3/pipelines/(?P<type>[^/]+)/(?P<id>[^/]+)", SimulatorApi.get_pipeline),
        ("POST", r"/crm/v3/objects/(?P<type>[^/]+)/search", SimulatorApi.search_objects),
        ("GET", r"/crm/v3/objects/(?P<type>[^/]+)/?", SimulatorApi.list_objects),
        ("GET", r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)", SimulatorApi.get_object),
        ("GET", r"/marketing/v3/campaigns/?", SimulatorApi.list_campaigns),
        ("GET", r"/marketing/v3/campaigns/(?P<guid>[^/]+)/reports/daily", SimulatorApi.campaign_daily),
        ("GET", r"/events/v3/events/?", SimulatorApi.list_events),
        ("GET", r"/v4/spreadsheets/(?P<sheet>[^/]+)/values/(?P<range>.+)", SimulatorApi.get_values),
        ("GET", r"/_simulator/health", SimulatorApi.health),
        ("GET", r"/_simulator/summary", SimulatorApi.control_summary),
        ("POST", r"/_simulator/advance", SimulatorApi.control_advance),
        ("POST", r"/_simulator/leads", SimulatorApi.control_append_leads),
        ("GET", r"/_simulator/oracle/leads", SimulatorApi.oracle_leads),
    )
]


# ---------------------------------------------------------------------------------------------------------
# HTTP plumbing


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: SimulatorApi) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        """Bind (reusing a port in TIME_WAIT) without HTTPServer's reverse-DNS lookup of the host, which
        can stall start-up for seconds."""
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class _RequestHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 with exact Content-Length, so clients reuse one connection per session."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "salesops-simulator/1"
    sys_version = ""
    server: _HttpServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, data = self.server.api.dispatch(self.command, self.path, self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.api.config.log_requests:
            super().log_message(format, *args)


class SimulatorServer:
    """The simulator as a server object: start it in a background thread, or run it until asked to stop."""

    def __init__(self, config: SimulatorConfig | None = None, world: Any = None) -> None:
        self.config = config or SimulatorConfig()
        if world is None:
            from simulator.world import build_world

            world = build_world(seed=self.config.seed, scale=self.config.scale, as_of=self.config.as_of)
        self.api = SimulatorApi(world, self.config)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()

    @property
    def world(self) -> Any:
        return self.api.world

    @property
    def lock(self) -> threading.RLock:
        """Held while the world is read or mutated; take it to touch `world` from another thread."""
        return self.api.lock

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Bind (port 0 picks a free port) and serve from a daemon thread; returns the base URL."""
        if self._httpd is None:
            self._httpd = _HttpServer((self.config.host, self.config.port), self.api)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="simulator-http",
                daemon=True,
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join()
            self._httpd = self._thread = None
        self._stop_requested.set()

    def request_stop(self) -> None:
        """Make `run_forever` return; safe to call from a signal handler."""
        self._stop_requested.set()

    def run_forever(self) -> None:
        """Serve until `request_stop()` (the CLI wires it to SIGTERM/SIGINT)."""
        self.start()
        try:
            self._stop_requested.wait()
        finally:
            self.stop()

    def advance(self, days: int = 1) -> None:
        self.api.advance(days)

    def append_lead_rows(self, rows: Sequence[Sequence[Any]]) -> int:
        return self.api.append_lead_rows(rows)

    def append_sheet_rows(self, tab: str, rows: Sequence[Sequence[Any]]) -> int:
        return self.api.append_sheet_rows(tab, rows)

    def summary(self) -> dict[str, Any]:
        return self.api.summary()

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------------------
# CLI


def serve_main(argv: list[str] | None = None) -> int:
    """`salesops simulator serve`: print the base URL once ready, serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(
        prog="salesops simulator serve",
        description="Serve simulated HubSpot and Google Sheets APIs on localhost.",
    )
    defaults = SimulatorConfig()
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--scale", type=float, default=defaults.scale)
    parser.add_argument("--as-of", type=date.fromisoformat, default=defaults.as_of, help="YYYY-MM-DD")
    parser.add_argument(
        "--live-rate",
        type=float,
        default=0.0,
        metavar="LEADS_PER_MINUTE",
        help="append new Leads rows continuously at this rate (0 = off)",
    )
    parser.add_argument(
        "--malformed-share",
        type=float,
        default=0.1,
        help="share of live rows that are malformed (default 0.1)",
    )
    parser.add_argument("--hubspot-token", default=defaults.hubspot_token)
    parser.add_argument("--sheets-api-key", default=defaults.sheets_api_key)
    parser.add_argument("--spreadsheet-id", default=defaults.spreadsheet_id)
    parser.add_argument("--ready-file", type=Path, help="write {url, pid} here as JSON once serving")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    config = SimulatorConfig(
        seed=args.seed,
        scale=args.scale,
        as_of=args.as_of,
        host=args.host,
        port=args.port,
        hubspot_token=args.hubspot_token,
        sheets_api_key=args.sheets_api_key,
        spreadsheet_id=args.spreadsheet_id,
        log_requests=args.log_requests,
    )
    server = SimulatorServer(config)
    # The world is millions of long-lived objects: keep the cyclic GC from rescanning them on every full
    # collection (a second or more each time at scale 1), which would stall requests at random.
    gc.freeze()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: server.request_stop())
    url = server.start()
    feed = None
    if args.live_rate > 0:
        from simulator.live import LiveLeadFeed

        feed = LiveLeadFeed(server, args.live_rate, args.malformed_share, seed=args.seed)
        feed.start()
    print(url, flush=True)
    if args.ready_file:
        temporary = args.ready_file.with_name(args.ready_file.name + ".tmp")
        temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        temporary.replace(args.ready_file)
    try:
        server.run_forever()
    finally:
        if feed is not None:
            feed.stop()
        if args.ready_file:
            args.ready_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(serve_main())
