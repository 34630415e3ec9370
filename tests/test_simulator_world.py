"""The simulated sales organisation: deterministic, contract-shaped, internally consistent and realistic enough
that forecasting, scoring, KPI and routing work downstream has real signal to find."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from salesops import geography
from simulator.world import (
    CALLERS_HEADER,
    LEAD_SOURCES,
    LEADS_HEADER,
    TARGETS_HEADER,
    World,
    advance,
    build_world,
    iso_ms,
    world_summary,
)

AS_OF = date(2026, 11, 20)
AS_OF_TEXT = "2026-11-20T00:00:00.000Z"
ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
CONTRACT_PROPERTIES = {
    "companies": {"name", "domain", "industry", "numberofemployees", "annualrevenue", "city", "state", "country", "zip",
                  "lat", "lon", "hubspot_owner_id", "territory", "region", "lifecyclestage", "hs_createdate",
                  "hs_lastmodifieddate"},
    "contacts": {"firstname", "lastname", "email", "phone", "jobtitle", "lifecyclestage", "hs_lead_status", "lead_id",
                 "associatedcompanyid", "hubspot_owner_id", "city", "state", "hs_analytics_source", "hs_createdate",
                 "hs_lastmodifieddate"},
    "deals": {"dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_is_closed",
              "hs_is_closed_won", "hubspot_owner_id", "hubspot_team_id", "dealtype", "product_sku", "quantity",
              "margin_amount", "hs_deal_stage_probability", "competitor", "closed_lost_reason", "lead_source",
              "hs_analytics_source", "hs_createdate", "hs_lastmodifieddate"},
    "calls": {"hs_timestamp", "hs_call_direction", "hs_call_duration", "hs_call_disposition", "hs_call_status",
              "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate"},
    "emails": {"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_status", "hubspot_owner_id",
               "hs_createdate", "hs_lastmodifieddate"},
    "meetings": {"hs_timestamp", "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_end_time",
                 "hs_meeting_outcome", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate"},
}
STAGE_PROBABILITY = {"appointmentscheduled": "0.2", "qualifiedtobuy": "0.4", "presentationscheduled": "0.6",
                     "decisionmakerboughtin": "0.8", "contractsent": "0.9", "closedwon": "1.0", "closedlost": "0.0"}
ENGAGEMENTS = ("calls", "emails", "meetings")


def digest(world: World) -> str:
    """Hash of everything the server can serve."""
    served = {"as_of": world.as_of.isoformat(), "owners": world.owners, "crm": world.crm, "pipelines": world.pipelines,
              "campaigns": world.campaigns, "campaign_daily": world.campaign_daily, "events": world.events,
              "sheets": world.sheets, "oracle_leads": world.oracle_leads}
    return hashlib.sha256(json.dumps(served, sort_keys=True).encode()).hexdigest()


def lead_rows(world: World) -> list[dict[str, str]]:
    header, *rows = world.sheets["Leads"]
    return [dict(zip(header, row, strict=True)) for row in rows]


def won_bookings_by_month(world: World) -> dict[tuple[int, int], float]:
    bookings: defaultdict[tuple[int, int], float] = defaultdict(float)
    for deal in world.crm["deals"]:
        props = deal["properties"]
        if props["hs_is_closed_won"] == "true":
            bookings[(int(props["closedate"][:4]), int(props["closedate"][5:7]))] += float(props["amount"])
    return bookings


@pytest.fixture(scope="module")
def small() -> World:
    return build_world(seed=7, scale=0.1)


@pytest.fixture(scope="module")
def full() -> tuple[World, float]:
    started = time.perf_counter()
    world = build_world()
    return world, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------------
# Determinism and size


def test_same_arguments_give_the_same_world() -> None:
    first, second = build_world(seed=3, scale=0.05), build_world(seed=3, scale=0.05)
    assert digest(first) == digest(second)
    assert digest(build_world(seed=4, scale=0.05)) != digest(first)


def test_worlds_do_not_depend_on_string_hashing() -> None:
    """Same world in fresh interpreters with different PYTHONHASHSEED (no set or hash order leaks in)."""
    script = ("import sys; sys.path.insert(0, 'tests'); from test_simulator_world import digest; "
              "from simulator.world import build_world; print(digest(build_world(seed=2, scale=0.02)))")
    root = Path(__file__).resolve().parents[1]
    digests = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert digests == {digest(build_world(seed=2, scale=0.02))}


def test_full_scale_sizes_and_build_time(full: tuple[World, float]) -> None:
    world, seconds = full
    counts = world_summary(world)
    assert seconds < 60, f"scale-1 build took {seconds:.1f} s"
    assert counts["owners"] == 40
    assert counts["companies"] == 5_000
    assert 45_000 <= counts["sheet_leads"] <= 55_000
    assert 12_500 <= counts["deals"] <= 18_500
    assert 250_000 <= counts["activities"] <= 360_000
    assert 55_000 <= counts["contacts"] <= 66_000
    assert 40 <= counts["campaigns"] <= 85
    assert counts["sheet_callers"] == 12
    assert counts["open_deals"] > 300


def test_counts_scale_linearly(small: World, full: tuple[World, float]) -> None:
    big, little = world_summary(full[0]), world_summary(small)
    assert little["owners"] == 4
    for name in ("companies", "contacts", "deals", "activities", "events", "sheet_leads", "oracle_leads"):
        assert 7 <= big[name] / little[name] <= 13, name


def test_history_covers_three_and_a_half_years(small: World) -> None:
    first_lead = lead_rows(small)[0]["Timestamp"]
    assert first_lead.startswith("2023-04-0")
    assert small.as_of == datetime(2026, 11, 20, tzinfo=UTC)
    assert min(deal["createdAt"] for deal in small.crm["deals"]) < "2023-04-01"
    assert max(deal["createdAt"] for deal in small.crm["deals"]) > "2026-11-01"


# ---------------------------------------------------------------------------------------------------------
# Contract shapes and referential integrity


def test_crm_records_have_contract_shape(small: World) -> None:
    for kind, required in CONTRACT_PROPERTIES.items():
        records = small.crm[kind]
        assert records, kind
        ids = [record["id"] for record in records]
        assert len(set(ids)) == len(ids), kind
        for record in records:
            assert record["id"].isdigit()
            props = record["properties"]
            assert required <= props.keys(), (kind, required - props.keys())
            assert all(value is None or isinstance(value, str) for value in props.values()), kind
            assert ISO_MS.fullmatch(record["createdAt"]) and ISO_MS.fullmatch(record["updatedAt"])
            assert props["hs_createdate"] == record["createdAt"]
            assert props["hs_lastmodifieddate"] == record["updatedAt"]
            assert record["createdAt"] <= record["updatedAt"] < AS_OF_TEXT
            assert record["archived"] is False


def test_associations_reference_existing_records(small: World) -> None:
    ids = {kind: {record["id"] for record in small.crm[kind]} for kind in small.crm}
    owners = {owner["id"] for owner in small.owners}
    for deal in small.crm["deals"]:
        for kind in ("companies", "contacts"):
            linked = deal["associations"][kind]["results"]
            assert linked and all(item["id"] in ids[kind] for item in linked)
        assert deal["properties"]["hubspot_owner_id"] in owners
    for kind in ENGAGEMENTS:
        for record in small.crm[kind]:
            assoc = record["associations"]
            for target in ("deals", "contacts", "companies"):
                assert all(item["id"] in ids[target] for item in assoc[target]["results"])
            assert assoc["contacts"]["results"], kind
            assert record["properties"]["hubspot_owner_id"] in owners
    for contact in small.crm["contacts"]:
        company = contact["properties"]["associatedcompanyid"]
        assert company is None or company in ids["companies"]
    assert all(company["properties"]["hubspot_owner_id"] in owners for company in small.crm["companies"])


def test_deal_stage_history_matches_the_deal(small: World) -> None:
    last_activity: dict[str, str] = {}
    for kind in ENGAGEMENTS:
        for record in small.crm[kind]:
            for link in record["associations"]["deals"]["results"]:
                last_activity[link["id"]] = max(last_activity.get(link["id"], ""), record["properties"]["hs_timestamp"])
    pipeline_stages = {stage["id"]: stage["metadata"]["probability"] for stage in small.pipelines[0]["stages"]}
    assert pipeline_stages == STAGE_PROBABILITY
    regressed = 0
    for deal in small.crm["deals"]:
        props, history = deal["properties"], deal["propertiesWithHistory"]["dealstage"]
        stamps = [entry["timestamp"] for entry in history]
        assert stamps == sorted(stamps, reverse=True)
        assert history[0]["value"] == props["dealstage"]
        assert history[-1]["timestamp"] == deal["createdAt"]
        assert all(entry["value"] in STAGE_PROBABILITY for entry in history)
        assert props["hs_deal_stage_probability"] == STAGE_PROBABILITY[props["dealstage"]]
        assert deal["updatedAt"] >= history[0]["timestamp"]
        assert deal["updatedAt"] >= last_activity.get(deal["id"], "")
        closed = props["dealstage"] in ("closedwon", "closedlost")
        assert props["hs_is_closed"] == ("true" if closed else "false")
        assert props["hs_is_closed_won"] == ("true" if props["dealstage"] == "closedwon" else "false")
        if closed:
            assert props["closedate"] == history[0]["timestamp"] < AS_OF_TEXT
        assert (props["closed_lost_reason"] is not None) == (props["dealstage"] == "closedlost")
        order = [list(STAGE_PROBABILITY).index(entry["value"]) for entry in reversed(history)]
        regressed += any(later < earlier for earlier, later in pairwise(order))
        price = {product["sku"]: product for product in small.products}[props["product_sku"]]
        assert float(props["margin_amount"]) == float(props["amount"]) - price["unit_cost"] * int(props["quantity"])
    assert regressed, "some deals should slip back a stage"


def test_open_pipeline_and_recent_changes_exist(small: World) -> None:
    open_deals = [deal for deal in small.crm["deals"] if deal["properties"]["hs_is_closed"] == "false"]
    assert len(open_deals) > 20
    assert sum(deal["properties"]["closedate"] >= AS_OF_TEXT for deal in open_deals) > len(open_deals) / 2
    week_ago = iso_ms(int(datetime(2026, 11, 13, tzinfo=UTC).timestamp() * 1000))
    for kind in ("companies", "contacts", "deals"):
        old_but_touched = [record for record in small.crm[kind]
                           if record["createdAt"] < "2026-10-01" and record["updatedAt"] >= week_ago]
        assert old_but_touched, kind


def test_owners_teams_and_rep_history(small: World) -> None:
    teams = {team["id"]: team for team in small.teams}
    for owner in small.owners:
        assert owner["id"].isdigit() and owner["email"].endswith("@kavericloud.in")
        (team,) = owner["teams"]
        current = [row for row in small.rep_history if row["owner_id"] == owner["id"] and row["valid_to"] is None]
        assert [row["team_id"] for row in current] == [team["id"]]
    moved = {row["owner_id"] for row in small.rep_history if row["valid_to"] is not None}
    assert moved
    history = defaultdict(list)
    for row in small.rep_history:
        history[row["owner_id"]].append(row)
    swap_days = {row["valid_to"] for row in small.rep_history}
    for deal in small.crm["deals"]:
        props = deal["properties"]
        assert props["hubspot_team_id"] in teams
        rows = history[props["hubspot_owner_id"]]
        created = deal["createdAt"][:10]
        assert rows[0]["valid_from"] <= created
        if created in swap_days:
            continue
        at_the_time = [row for row in rows if row["valid_to"] is None or created < row["valid_to"]]
        assert props["hubspot_team_id"] == at_the_time[0]["team_id"]
    names = {team["name"] for team in small.teams}
    assert {"West Enterprise", "West Mid-Market", "South Enterprise", "East Mid-Market"} <= names


def test_companies_sit_in_real_cities_and_territories(small: World) -> None:
    territory = re.compile(r"(NORTH|SOUTH|EAST|WEST)-[A-Z]{2}-\d+")
    territories = {item["name"]: item for item in small.territories}
    for company in small.crm["companies"]:
        props = company["properties"]
        city = geography.find_city(props["city"])
        assert city is not None and city.state == props["state"] and props["country"] == "India"
        assert abs(float(props["lat"]) - city.lat) < 0.3 and abs(float(props["lon"]) - city.lon) < 0.3
        assert props["region"] == geography.region_of(props["state"])
        assert territory.fullmatch(props["territory"]) and props["territory"] in territories
        assert territories[props["territory"]]["region"] == props["region"]
        assert props["zip"].startswith(city.pin_prefix) and len(props["zip"]) == 6
    by_state = Counter(company["properties"]["state"] for company in small.crm["companies"])
    assert by_state.most_common(1)[0][0] == "Maharashtra"
    assert small.market_potential["state"]["Maharashtra"] > small.market_potential["state"].get("Goa", 0)


# ---------------------------------------------------------------------------------------------------------
# Leads, events and conversion


def test_leads_sheet_rows_link_to_contacts_and_oracle(small: World) -> None:
    assert small.sheets["Leads"][0] == LEADS_HEADER
    rows = lead_rows(small)
    contacts = {c["properties"]["lead_id"]: c for c in small.crm["contacts"] if c["properties"]["lead_id"]}
    oracle = {item["lead_id"]: item for item in small.oracle_leads}
    timestamps = [row["Timestamp"] for row in rows]
    assert timestamps == sorted(timestamps)
    assert len(oracle) == len(contacts) == len({json.loads(row["Metadata"])["lead_id"] for row in rows})
    for row in rows:
        metadata = json.loads(row["Metadata"])
        assert metadata["lead_id"] in contacts and metadata["lead_id"] in oracle
        assert row["Lead Source"] in LEAD_SOURCES
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row["Timestamp"])
        assert re.fullmatch(r"(\+91[ -]?)?0?[6-9]\d{4}[ -]?\d{5}", row["Phone"])
        state = geography.canonical_state(row["State"]) or geography.city_to_state(row["City"])
        contact = contacts[metadata["lead_id"]]["properties"]
        if row["State"] or row["City"]:
            assert state == contact["state"]
    blank_states = [row for row in rows if not row["State"]]
    assert blank_states and all(geography.city_to_state(row["City"]) for row in blank_states if row["City"])
    assert any(row["City"] in ("Bombay", "Bangalore", "Madras", "Calcutta", "Gurgaon") for row in rows)
    assert len(rows) > len(oracle), "a few rows are duplicated by automation retries"
    hours = Counter(int(row["Timestamp"][11:13]) for row in rows)
    assert sum(hours[h] for h in range(9, 19)) > 0.7 * len(rows)
    assert any("utm_campaign" in json.loads(row["Metadata"]) for row in rows)


def test_every_lead_has_a_contact_and_events_reference_contacts(small: World) -> None:
    contact_ids = {contact["id"] for contact in small.crm["contacts"]}
    occurred = [event["occurredAt"] for event in small.events]
    assert occurred == sorted(occurred)
    assert len({event["id"] for event in small.events}) == len(small.events)
    assert all(event["objectId"] in contact_ids and event["objectType"] == "CONTACT" for event in small.events)
    types = Counter(event["eventType"] for event in small.events)
    assert set(types) == {"e_visited_page", "e_opened_email", "e_clicked_email", "e_submitted_form",
                          "e_attended_webinar"}
    assert any("/pricing" in event["properties"]["hs_url"] for event in small.events
               if event["eventType"] == "e_visited_page")
    lead_of = {c["id"]: c["properties"]["lead_id"] for c in small.crm["contacts"] if c["properties"]["lead_id"]}
    with_events = {lead_of[event["objectId"]] for event in small.events if event["objectId"] in lead_of}
    never_converted = {item["lead_id"] for item in small.oracle_leads if not item["converted"]}
    assert len(with_events & never_converted) > 0.5 * len(never_converted)


def test_conversion_follows_the_hidden_probability(full: tuple[World, float]) -> None:
    world = full[0]
    oracle = sorted(world.oracle_leads, key=lambda item: item["conversion_probability"])
    quarter = len(oracle) // 4
    rates = [sum(item["converted"] for item in oracle[i * quarter:(i + 1) * quarter]) / quarter for i in range(4)]
    assert rates == sorted(rates) and rates[3] > 3 * rates[0]
    overall = sum(item["converted"] for item in oracle) / len(oracle)
    assert 0.12 < overall < 0.3
    assert abs(overall - sum(item["conversion_probability"] for item in oracle) / len(oracle)) < 0.02
    stage = {c["properties"]["lead_id"]: c["properties"]["lifecyclestage"] for c in world.crm["contacts"]}
    for item in oracle:
        if item["converted"] and item["converted_at"] < AS_OF_TEXT:
            assert stage[item["lead_id"]] in ("salesqualifiedlead", "opportunity", "customer")
        elif not item["converted"]:
            assert stage[item["lead_id"]] in ("lead", "marketingqualifiedlead")
    # Behaviour is observable signal: leads who looked at pricing convert far more often.
    lead_of = {c["id"]: c["properties"]["lead_id"] for c in world.crm["contacts"]}
    pricing = {lead_of[event["objectId"]] for event in world.events
               if event["eventType"] == "e_visited_page" and "/pricing" in event["properties"]["hs_url"]}
    converted = {item["lead_id"] for item in oracle if item["converted"]}
    with_pricing = len(pricing & converted) / len(pricing)
    without = len(converted - pricing) / (len(oracle) - len(pricing))
    assert with_pricing > 1.5 * without


def test_deals_have_feature_dependent_outcomes(full: tuple[World, float]) -> None:
    world = full[0]
    closed = [deal["properties"] for deal in world.crm["deals"] if deal["properties"]["hs_is_closed"] == "true"]
    def win_rate(rows: list[dict[str, Any]]) -> float:
        return sum(row["hs_is_closed_won"] == "true" for row in rows) / len(rows)

    assert 0.2 < win_rate(closed) < 0.45
    assert win_rate([p for p in closed if p["competitor"] is None]) > win_rate([p for p in closed if p["competitor"]])
    assert win_rate([p for p in closed if p["lead_source"] == "Referral"]) > win_rate(
        [p for p in closed if p["lead_source"] == "Cold Call"])
    assert win_rate([p for p in closed if p["dealtype"] == "existingbusiness"]) > win_rate(closed)
    meetings: Counter[str] = Counter()
    for meeting in world.crm["meetings"]:
        for link in meeting["associations"]["deals"]["results"]:
            meetings[link["id"]] += 1
    won = [d["id"] for d in world.crm["deals"] if d["properties"]["hs_is_closed_won"] == "true"]
    lost = [d["id"] for d in world.crm["deals"] if d["properties"]["dealstage"] == "closedlost"]
    assert sum(meetings[i] for i in won) / len(won) > 1.3 * sum(meetings[i] for i in lost) / len(lost)
    oracle = {item["deal_id"]: item for item in world.oracle_deals}
    ranked = sorted((oracle[d["id"]]["win_probability"], d["properties"]["hs_is_closed_won"] == "true")
                    for d in world.crm["deals"] if d["properties"]["hs_is_closed"] == "true")
    half = len(ranked) // 2
    assert sum(won for _, won in ranked[half:]) > 2 * sum(won for _, won in ranked[:half])
    reasons = Counter(p["closed_lost_reason"] for p in closed if p["closed_lost_reason"])
    assert set(reasons) == {"Price", "Competitor", "No decision", "Timing", "Product fit", "Budget"}
    segment = {company["id"]: company["properties"]["segment"] for company in world.crm["companies"]}
    cycles = defaultdict(list)
    for deal in world.crm["deals"]:
        props = deal["properties"]
        if props["hs_is_closed_won"] == "true" and props["dealtype"] == "newbusiness":
            days = (datetime.fromisoformat(props["closedate"]) - datetime.fromisoformat(deal["createdAt"])).days
            cycles[segment[deal["associations"]["companies"]["results"][0]["id"]]].append(days)
    assert all(min(days) >= 14 and max(days) <= 250 for days in cycles.values())
    median = {name: sorted(days)[len(days) // 2] for name, days in cycles.items()}
    assert median["SMB"] < median["Mid-Market"] < median["Enterprise"]


def test_bookings_peak_at_quarter_ends_and_grow(full: tuple[World, float]) -> None:
    bookings = won_bookings_by_month(full[0])
    pairs = [(bookings[(year, month)], bookings[(year, month - 1)]) for year in range(2023, 2027)
             for month in (3, 6, 9, 12) if (year, month) > (2023, 4) and (year, month) < (2026, 11)]
    assert sum(end for end, _ in pairs) / len(pairs) > 1.1 * sum(before for _, before in pairs) / len(pairs)
    fiscal: defaultdict[int, float] = defaultdict(float)
    for (year, month), amount in bookings.items():
        fiscal[year if month >= 4 else year - 1] += amount
    assert fiscal[2025] > 1.15 * fiscal[2023] and fiscal[2025] > fiscal[2024]
    wins = Counter(deal["properties"]["closedate"][:7] for deal in full[0].crm["deals"]
                   if deal["properties"]["hs_is_closed_won"] == "true")
    fiscal_wins = [sum(n for month, n in wins.items() if f"{year}-04" <= month < f"{year + 1}-04")
                   for year in (2023, 2024, 2025)]
    assert fiscal_wins == sorted(fiscal_wins)


def test_targets_follow_bookings_with_a_stretch(small: World) -> None:
    header, *rows = small.sheets["Targets"]
    assert header == TARGETS_HEADER
    months = {(row[0], row[2]): float(row[3]) for row in rows if row[1] == "month"}
    quarters = {(row[0], row[2]): float(row[3]) for row in rows if row[1] == "quarter"}
    assert min(key[0] for key in months) == "2023-04-01" and max(key[0] for key in months) == "2027-12-01"
    assert max(key[0] for key in quarters) == "2027-10-01"
    for (start, region), amount in quarters.items():
        first = date.fromisoformat(start)
        parts = [date(first.year, first.month + offset, 1).isoformat() for offset in range(3)]
        assert amount == pytest.approx(sum(months[(part, region)] for part in parts))
    booked = won_bookings_by_month(small)
    history = [key for key in months if key[0] < "2026-11-01"]
    target_total = sum(months[key] for key in history)
    booked_total = sum(amount for (year, month), amount in booked.items() if (2023, 4) <= (year, month) < (2026, 11))
    assert 1.0 < target_total / booked_total < 1.3
    quota_total = sum(q["quota"] for q in small.rep_quotas if q["month"] == "2026-05-01")
    assert quota_total == pytest.approx(sum(v for (m, _), v in months.items() if m == "2026-05-01"), rel=0.01)


def test_callers_sheet_supports_routing_edge_cases(small: World, full: tuple[World, float]) -> None:
    for world in (small, full[0]):
        header, *rows = world.sheets["Callers"]
        assert header == CALLERS_HEADER
        covered: set[str] = set()
        for name, role, languages, limit, states, status in rows:
            assert name and role in ("Caller", "Senior Caller", "Team Lead") and status in ("active", "paused")
            assert int(limit) >= 0 and "English" in languages.split(";")
            assert all(state in geography.STATES for state in states.split(";"))
            covered.update(states.split(";"))
        assert set(geography.STATES) - covered, "some state must have no caller"
        assert any(";" in row[4] for row in rows)
    rows = full[0].sheets["Callers"][1:]
    assert any(row[3] == "0" for row in rows) and any(row[5] == "paused" for row in rows)


def test_campaigns_and_daily_reports(small: World) -> None:
    names = set()
    for campaign in small.campaigns:
        props = campaign["properties"]
        names.add(props["hs_name"])
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", campaign["id"])
        assert props["hs_campaign_status"] in ("planned", "in_progress", "completed")
        rows = small.campaign_daily[campaign["id"]]
        assert all(props["hs_start_date"] <= row["date"] <= props["hs_end_date"] for row in rows)
        assert all(row["date"] < "2026-11-20" and 0 <= row["clicks"] <= row["impressions"] for row in rows)
        assert sum(row["spend"] for row in rows) == pytest.approx(float(props["hs_spend_items_sum_amount"]), abs=1)
        assert {row["channel"] for row in rows} <= {"paid_search", "paid_social", "email", "webinar", "events",
                                                    "content", "partner"}
    clicks = sum(row["clicks"] for rows in small.campaign_daily.values() for row in rows)
    impressions = sum(row["impressions"] for rows in small.campaign_daily.values() for row in rows)
    assert 0.005 < clicks / impressions < 0.1
    tagged = [json.loads(row["Metadata"]).get("utm_campaign") for row in lead_rows(small)]
    assert {name for name in tagged if name} <= names


# ---------------------------------------------------------------------------------------------------------
# Advancing


def test_advance_appends_newer_records_and_keeps_old_ones() -> None:
    world = build_world(seed=11, scale=0.05)
    before = {kind: [record["id"] for record in records] for kind, records in world.crm.items()}
    stages = {deal["id"]: deal["properties"]["dealstage"] for deal in world.crm["deals"]}
    rows, events = len(world.sheets["Leads"]), len(world.events)
    advance(world, days=3)
    assert world.as_of == datetime(2026, 11, 23, tzinfo=UTC)
    for kind, ids in before.items():
        assert [record["id"] for record in world.crm[kind]][:len(ids)] == ids
        new = world.crm[kind][len(ids):]
        assert all(AS_OF_TEXT <= record["createdAt"] < "2026-11-23" for record in new)
    assert len(world.sheets["Leads"]) > rows and len(world.events) > events
    assert len(world.crm["contacts"]) > len(before["contacts"])
    moved = [deal for deal in world.crm["deals"] if deal["id"] in stages
             and deal["properties"]["dealstage"] != stages[deal["id"]]]
    assert moved and all(AS_OF_TEXT <= deal["updatedAt"] < "2026-11-23" for deal in moved)
    assert world.sheets["Leads"][-1][2] >= "2026-11-20 05:30:00"
    live = [c["id"] for c in world.campaigns
            if c["properties"]["hs_start_date"] <= "2026-11-20" <= c["properties"]["hs_end_date"]]
    assert all(world.campaign_daily[guid][-1]["date"] == "2026-11-22" for guid in live)
    occurred = [event["occurredAt"] for event in world.events]
    assert occurred == sorted(occurred)


def test_advance_is_deterministic_whatever_the_steps() -> None:
    stepped, jumped = build_world(seed=5, scale=0.05), build_world(seed=5, scale=0.05)
    advance(stepped)
    advance(stepped, days=2)
    advance(jumped, days=3)
    assert digest(stepped) == digest(jumped)
    assert stepped.as_of == datetime(2026, 11, 20, tzinfo=UTC) + timedelta(days=3)


# ---------------------------------------------------------------------------------------------------------
# Geography


def test_states_and_regions() -> None:
    states = geography.STATES
    assert len(states) == 36 and sum(not state.union_territory for state in states.values()) == 28
    assert len({state.code for state in states.values()}) == 36
    assert states["Maharashtra"].code == "IN-MH" and "Marathi" in states["Maharashtra"].languages
    assert states["Odisha"].code == "IN-OD" and states["Telangana"].code == "IN-TS"
    assert sorted(name for names in geography.REGIONS.values() for name in names) == sorted(states)
    assert geography.region_of("Karnataka") == "South" and geography.region_of("Delhi") == "North"
    assert all(geography.cities_in(state) for state in states)
    assert geography.canonical_state("Orissa") == "Odisha"
    assert geography.canonical_state(" in-mh ") == "Maharashtra"
    assert geography.canonical_state("tamil nadu") == "Tamil Nadu"
    assert geography.canonical_state("Atlantis") is None


def test_city_lookup_and_facts() -> None:
    assert geography.city_to_state("Bengaluru") == "Karnataka"
    assert geography.city_to_state("Bombay") == "Maharashtra"
    expected = {"  bangalore ": "Karnataka", "CALCUTTA": "West Bengal", "Kolkata": "West Bengal",
                "Madras": "Tamil Nadu", "Gurgaon": "Haryana", "Gurugram": "Haryana", "Trivandrum": "Kerala",
                "Baroda": "Gujarat", "Vadodara": "Gujarat", "New Delhi": "Delhi", "Navi-Mumbai": "Maharashtra",
                "Allahabad": "Uttar Pradesh", "Vizag": "Andhra Pradesh"}
    assert {name: geography.city_to_state(name) for name in expected} == expected
    assert geography.city_to_state("Gotham") is None and geography.city_to_state("") is None
    mumbai = geography.find_city("Mumbai")
    assert (mumbai.lat, mumbai.lon, mumbai.population, mumbai.tier) == (19.0760, 72.8777, 12_442_373, 1)
    assert len(geography.CITIES) >= 120
    assert len({city.name for city in geography.CITIES}) == len(geography.CITIES)
    assert all(city.state in geography.STATES for city in geography.CITIES)
    assert all(6 < city.lat < 36 and 68 < city.lon < 98 for city in geography.CITIES)
    pune = geography.find_city("Poona")
    assert 110 < geography.distance_km(mumbai.lat, mumbai.lon, pune.lat, pune.lon) < 130
