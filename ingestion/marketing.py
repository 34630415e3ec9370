"""dlt source for marketing, on HubSpot's Marketing APIs (real portal or the simulator).

Campaigns come from the Campaigns v3 list; each campaign's daily spend, impressions and clicks by
channel from its daily report (a child resource, one request per campaign; each run re-reads the
last `lookback_days` days because ad platforms restate recent days); per-contact engagement (page views,
pricing-page visits, email opens and clicks, form fills, webinars) from the Events v3 API,
incrementally on `occurredAt`.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_source

from ingestion.hubspot import EPOCH, client_config, cursor_column, list_resource, resource_defaults

CAMPAIGN_PROPERTIES = ["hs_name", "hs_start_date", "hs_end_date", "hs_campaign_status", "hs_audience",
                       "hs_currency_code", "hs_budget_items_sum_amount", "hs_spend_items_sum_amount", "channel"]
HISTORY_START = "2000-01-01"


@dlt.source(name="marketing", max_table_nesting=0)
def marketing_source(base_url: str, access_token: str, lookback_days: int = 3) -> Any:
    """Campaigns, daily channel metrics per campaign, and contact engagement events."""
    source = rest_api_source({
        "client": client_config(base_url, access_token),
        "resource_defaults": resource_defaults("marketing"),
        "resources": [
            {**list_resource("campaigns", "marketing/v3/campaigns",
                             {"limit": 100, "properties": ",".join(CAMPAIGN_PROPERTIES)}, cursor=None),
             "primary_key": "id"},
            {
                "name": "campaign_daily_metrics",
                "primary_key": ["campaign_id", "date", "channel"],
                "columns": {"date": {"data_type": "date"}, "spend": {"data_type": "double"}},
                "endpoint": {
                    "path": "marketing/v3/campaigns/{resources.campaigns.id}/reports/daily",
                    "params": {"startDate": "{incremental.start_value}", "limit": 500},
                    "data_selector": "results",
                    "incremental": {"cursor_path": "date", "initial_value": HISTORY_START, "lag": lookback_days},
                },
                "include_from_parent": ["id"],
                "processing_steps": [{"map": _daily_row}],
            },
            {
                "name": "engagement_events",
                "primary_key": "id",
                "columns": cursor_column("occurred_at"),
                "endpoint": {
                    "path": "events/v3/events",
                    "params": {"objectType": "contact", "limit": 1000,
                               "occurredAfter": "{incremental.start_value}"},
                    "data_selector": "results",
                    "incremental": {"cursor_path": "occurredAt", "initial_value": EPOCH},
                },
            },
        ],
    }, name="marketing")
    yield from source.resources.values()


def _daily_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": row.pop("_campaigns_id"), **row}
