"""dlt source for the CRM, on the HubSpot CRM v3 API (real portal or the simulator).

Owners, pipelines, products (the price book) and goal targets (rep quotas) are small and listed
whole. Deals come from the list endpoint, the only one returning associations and the stage history
(`propertiesWithHistory=dealstage`); the other objects load incrementally through the search
endpoint on `hs_lastmodifieddate`. Everything merges on `id`,
so a rerun or an overlapping window never duplicates a row.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_source

from ingestion.hubspot import (
    SEARCH_RESULT_CAP,
    client_config,
    flatten_owner,
    list_resource,
    resource_defaults,
    search_resource,
)

COMPANY_PROPERTIES = ["name", "domain", "website", "phone", "segment", "industry", "numberofemployees",
                      "annualrevenue", "city", "state", "country", "zip", "lat", "lon", "hubspot_owner_id",
                      "territory", "region", "lifecyclestage", "hs_createdate", "hs_lastmodifieddate"]
CONTACT_PROPERTIES = ["firstname", "lastname", "email", "phone", "jobtitle", "lifecyclestage", "hs_lead_status",
                      "lead_id", "associatedcompanyid", "hubspot_owner_id", "city", "state", "hs_analytics_source",
                      "hs_sa_first_engagement_date", "hs_createdate", "hs_lastmodifieddate"]
DEAL_PROPERTIES = ["dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_is_closed",
                   "hs_is_closed_won", "hubspot_owner_id", "hubspot_team_id", "dealtype", "product_sku", "quantity",
                   "margin_amount", "discount_percentage", "lead_id", "notes_last_updated",
                   "hs_deal_stage_probability", "competitor", "closed_lost_reason", "lead_source",
                   "hs_analytics_source", "hs_createdate", "hs_lastmodifieddate"]
PRODUCT_PROPERTIES = ["name", "hs_sku", "price", "hs_cost_of_goods_sold", "product_family", "hs_product_type",
                      "recurringbillingfrequency", "description", "hs_createdate", "hs_lastmodifieddate"]
GOAL_TARGET_PROPERTIES = ["hs_goal_name", "hs_goal_type", "hs_target_amount", "hs_start_datetime", "hs_end_datetime",
                          "hs_assignee_user_id", "hs_assignee_team_id", "hubspot_owner_id", "hs_createdate",
                          "hs_lastmodifieddate"]
ENGAGEMENT_COMMON = ["hs_timestamp", "hubspot_owner_id", "hubspot_team_id", "hs_createdate", "hs_lastmodifieddate"]
ENGAGEMENT_PROPERTIES = {
    "calls": [*ENGAGEMENT_COMMON, "hs_call_direction", "hs_call_duration", "hs_call_disposition", "hs_call_status"],
    "emails": [*ENGAGEMENT_COMMON, "hs_email_direction", "hs_email_subject", "hs_email_status"],
    "meetings": [*ENGAGEMENT_COMMON, "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_end_time",
                 "hs_meeting_outcome"],
}


@dlt.source(name="crm", max_table_nesting=1)
def crm_source(base_url: str, access_token: str, search_cap: int = SEARCH_RESULT_CAP) -> Any:
    """HubSpot owners, pipelines, products, quotas, companies, contacts, deals (with stage history), engagements."""
    resources: list[Any] = [
        list_resource("owners", "crm/v3/owners", {"limit": 100}, cursor=None, flatten=flatten_owner),
        {"name": "deal_pipelines", "write_disposition": "replace",
         "endpoint": {"path": "crm/v3/pipelines/deals", "data_selector": "results", "paginator": "single_page"}},
        list_resource("deals", "crm/v3/objects/deals", {
            "limit": 50,  # HubSpot's page cap when a property history is requested
            "properties": ",".join(DEAL_PROPERTIES),
            "associations": "companies,contacts,calls,emails,meetings",
            "propertiesWithHistory": "dealstage",
        }),
        list_resource("products", "crm/v3/objects/products",
                      {"limit": 100, "properties": ",".join(PRODUCT_PROPERTIES)}),
        list_resource("goal_targets", "crm/v3/objects/goal_targets",
                      {"limit": 100, "properties": ",".join(GOAL_TARGET_PROPERTIES)}),
        search_resource("companies", "companies", COMPANY_PROPERTIES, cap=search_cap),
        search_resource("contacts", "contacts", CONTACT_PROPERTIES, cap=search_cap),
        *(search_resource(kind, kind, props, cap=search_cap) for kind, props in ENGAGEMENT_PROPERTIES.items()),
    ]
    source = rest_api_source({
        "client": client_config(base_url, access_token),
        "resource_defaults": resource_defaults("crm", primary_key="id"),
        "resources": resources,
    }, name="crm")
    yield from source.resources.values()
