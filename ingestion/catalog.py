"""The raw tables each source system loads, with what they hold.

Kept free of dlt imports: the Dagster code location describes its raw assets from this catalogue
without paying for dlt at import time (a test checks it matches the sources' resources).
"""

RAW_TABLES: dict[str, dict[str, str]] = {
    "crm": {
        "owners": "HubSpot owners: the sales reps, with their current team.",
        "deal_pipelines": "Deal pipelines and their stages, with HubSpot's stage probabilities.",
        "deals": "Deals with amount, stage, owner, team, close date, competitor and loss reason; child tables "
                 "hold the stage history and the associated companies, contacts and engagements.",
        "products": "The price book: name, SKU, unit price, unit cost and product family.",
        "goal_targets": "Monthly revenue quotas per rep (HubSpot goal targets), with the rep's team.",
        "companies": "Accounts: industry, size, city, state, coordinates, owner and territory.",
        "contacts": "People at accounts and leads that became contacts, with lifecycle stage.",
        "calls": "Logged calls: direction, duration, disposition, owner.",
        "emails": "Logged sales emails: direction, subject, status, owner.",
        "meetings": "Meetings: title, start and end, outcome, owner.",
    },
    "marketing": {
        "campaigns": "Marketing campaigns: name, channel, dates, status, budget and spend totals.",
        "campaign_daily_metrics": "Spend, impressions and clicks per campaign, channel and day.",
        "engagement_events": "Per-contact engagement: page views, pricing-page visits, email opens and clicks, "
                             "form fills, webinar attendance.",
    },
    "sheets": {
        "leads": "Valid rows of the Leads tab, cleaned: E.164 phone, timestamp, resolved state, metadata.",
        "callers": "The Callers tab: languages, daily lead limit, states served, status.",
        "targets": "The Targets tab: revenue targets by period and region.",
    },
}
