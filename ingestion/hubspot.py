"""Pieces shared by the HubSpot-shaped sources (CRM and marketing): record flattening, the search
paginator, and incremental search endpoints.

HubSpot returns every property as a string inside `properties`; the raw layer keeps them as text
(typing is staging's job in dbt), lifts them to top-level columns, and turns association lists into
id arrays so the warehouse sees one row per object.
"""

from __future__ import annotations

from typing import Any

from dlt.sources.helpers.requests import Request, Response
from dlt.sources.helpers.rest_client.paginators import BasePaginator, JSONResponseCursorPaginator

from ingestion.errors import reject_bad_credentials

SEARCH_RESULT_CAP = 10_000  # HubSpot's search endpoints stop paging after 10,000 results per query
EPOCH = "1970-01-01T00:00:00.000Z"


def flatten_object(record: dict[str, Any]) -> dict[str, Any]:
    """One HubSpot object as one flat row: properties lifted, associations as id lists."""
    row: dict[str, Any] = {
        "id": record["id"],
        "created_at": record.get("createdAt"),
        "updated_at": record.get("updatedAt"),
        "archived": bool(record.get("archived", False)),
    }
    row.update(record.get("properties") or {})
    for kind, links in (record.get("associations") or {}).items():
        row[f"{kind}_ids"] = sorted({link["id"] for link in links.get("results", [])})
    history = (record.get("propertiesWithHistory") or {}).get("dealstage")
    if history is not None:
        row["dealstage_history"] = [
            {"stage": item.get("value"), "changed_at": item.get("timestamp"), "source_type": item.get("sourceType")}
            for item in history
        ]
    return row


def flatten_owner(owner: dict[str, Any]) -> dict[str, Any]:
    """An owner (a sales rep) as one row: owners carry top-level fields, not `properties`; their
    primary team (else the first) is kept as team_id/team_name."""
    teams = owner.get("teams") or []
    primary = next((team for team in teams if team.get("primary")), teams[0] if teams else {})
    return {
        "id": owner["id"],
        "user_id": owner.get("userId"),
        "email": owner.get("email"),
        "first_name": owner.get("firstName"),
        "last_name": owner.get("lastName"),
        "team_id": primary.get("id"),
        "team_name": primary.get("name"),
        "created_at": owner.get("createdAt"),
        "updated_at": owner.get("updatedAt"),
        "archived": bool(owner.get("archived", False)),
    }


class HubSpotSearchPaginator(BasePaginator):
    """Pages a CRM search sorted by `hs_lastmodifieddate`, past HubSpot's 10,000-result cap.

    The search API refuses to page beyond 10,000 results per query. When the cap is reached, the
    query is re-issued from the last modification time seen (`GTE`, boundary records come twice and
    the merge on `id` absorbs them). When a whole window shares one modification time (a bulk
    import), that instant is read on its own, ordered by `hs_object_id`, and the range resumes
    after it (`GT`).
    """

    def __init__(self, cursor_property: str = "hs_lastmodifieddate", cap: int = SEARCH_RESULT_CAP) -> None:
        super().__init__()
        self.cursor_property = cursor_property
        self.cap = cap
        self._reset()

    def _reset(self) -> None:
        self._after = 0
        self._limit = 100
        self._bound: str | None = None
        self._tied_at: str | None = None
        self._filters: list[dict[str, str]] | None = None  # None: the query as configured
        self._sorts: list[dict[str, str]] | None = None

    def init_request(self, request: Request) -> None:
        self._reset()
        self._has_next_page = True
        body = request.json or {}
        self._limit = int(body.get("limit", 100))
        for group in body.get("filterGroups", []):
            for condition in group.get("filters", []):
                if condition.get("propertyName") == self.cursor_property:
                    self._bound = str(condition.get("value"))

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = response.json()
        next_after = ((body.get("paging") or {}).get("next") or {}).get("after")
        if next_after is not None and int(next_after) + self._limit <= self.cap:
            self._after = int(next_after)
            return
        if next_after is None:  # this query is exhausted
            if self._tied_at is None:
                self._has_next_page = False
            else:
                self._query_range("GT", self._tied_at)
            return
        last = body["results"][-1]
        if self._tied_at is not None:
            self._query_tie(self._tied_at, after_id=str(last["id"]))
            return
        last_modified = str((last.get("properties") or {}).get(self.cursor_property))
        if last_modified != self._bound:
            self._query_range("GTE", last_modified)
        else:
            self._query_tie(last_modified, after_id=None)

    def _query_range(self, operator: str, value: str) -> None:
        self._tied_at, self._bound, self._after = None, value, 0
        self._filters = [{"propertyName": self.cursor_property, "operator": operator, "value": value}]
        self._sorts = [{"propertyName": self.cursor_property, "direction": "ASCENDING"}]

    def _query_tie(self, value: str, after_id: str | None) -> None:
        self._tied_at, self._after = value, 0
        self._filters = [{"propertyName": self.cursor_property, "operator": "EQ", "value": value}]
        if after_id is not None:
            self._filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": after_id})
        self._sorts = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]

    def update_request(self, request: Request) -> None:
        body = request.json or {}
        body["after"] = str(self._after)
        if self._filters is not None:
            body["filterGroups"] = [{"filters": self._filters}]
            body["sorts"] = self._sorts
        request.json = body


def search_resource(name: str, object_type: str, properties: list[str], page_size: int = 200,
                    cap: int = SEARCH_RESULT_CAP) -> dict[str, Any]:
    """A rest_api resource loading `object_type` incrementally through the CRM search endpoint."""
    return {
        "name": name,
        "endpoint": {
            "path": f"crm/v3/objects/{object_type}/search",
            "method": "POST",
            "json": {
                "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                               "value": "{incremental.start_value}"}]}],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": properties,
                "limit": page_size,
            },
            "paginator": HubSpotSearchPaginator(cap=cap),
            "data_selector": "results",
            # processing steps run before the incremental filter: the cursor is the flattened column
            "incremental": {"cursor_path": "hs_lastmodifieddate", "initial_value": EPOCH},
        },
        "columns": cursor_column("hs_lastmodifieddate"),
        "processing_steps": [{"map": flatten_object}],
    }


def resource_defaults(system: str, **hints: Any) -> dict[str, Any]:
    """Defaults for every resource of a HubSpot source: merge loads and a clear auth failure."""
    return {"write_disposition": "merge", "parallelized": True, **hints,
            "endpoint": {"response_actions": [reject_bad_credentials(system)]}}


def list_resource(name: str, path: str, params: dict[str, Any], cursor: str | None = "updated_at",
                  flatten: Any = flatten_object) -> dict[str, Any]:
    """A rest_api resource paging a HubSpot list endpoint (`paging.next.after`)."""
    endpoint: dict[str, Any] = {"path": path, "params": params, "data_selector": "results"}
    resource: dict[str, Any] = {"name": name, "endpoint": endpoint, "processing_steps": [{"map": flatten}]}
    if cursor:
        endpoint["incremental"] = {"cursor_path": cursor, "initial_value": EPOCH}
        resource["columns"] = cursor_column(cursor)
    return resource


def cursor_column(name: str) -> dict[str, Any]:
    """The column hint of a timestamp cursor: typed as loaded, never inferred, so staging reads it without
    a cast and the daily dbt run's filters on it reach its index (`pipelines.index_raw_keys`)."""
    return {name: {"data_type": "timestamp"}}


def client_config(base_url: str, access_token: str) -> dict[str, Any]:
    """Bearer-token client with HubSpot's `paging.next.after` cursor as the default paginator."""
    return {
        "base_url": base_url,
        "auth": {"type": "bearer", "token": access_token},
        "paginator": JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after"),
    }
