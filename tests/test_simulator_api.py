"""The simulator's HTTP API against the vendors' shapes: auth failures, paging, property options,
search and its result cap, marketing endpoints, Sheets A1 ranges and quirks, control endpoints,
the live lead feed and the `serve` entry point."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.live import MALFORMED_KINDS, LeadRowFactory, LiveLeadFeed, make_lead_rows
from simulator.server import SimulatorConfig, SimulatorServer, to_epoch_ms

SCALE = 0.05
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(scale=SCALE)) as running:
        yield running


@pytest.fixture(scope="module")
def fresh_server() -> Iterator[SimulatorServer]:
    """A second server, for tests that advance or append to its world (they read its state as they go)."""
    with SimulatorServer(SimulatorConfig(scale=SCALE, seed=7)) as running:
        yield running


@pytest.fixture(scope="module")
def hubspot(server: SimulatorServer) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.config.hubspot_token}"
    return session


def get(session: requests.Session, server: SimulatorServer, path: str, **params: Any) -> dict[str, Any]:
    response = session.get(server.url + path, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def page_all(session: requests.Session, server: SimulatorServer, path: str, **params: Any) -> list[dict]:
    """Follow `paging.next.after` to the end, as a client would."""
    results: list[dict] = []
    after = None
    while True:
        body = get(session, server, path, **params, **({"after": after} if after else {}))
        results.extend(body["results"])
        if "paging" not in body:
            return results
        after = body["paging"]["next"]["after"]
        assert body["paging"]["next"]["link"].startswith(server.url + path)


def sheet(server: SimulatorServer, a1: str, key: str | None = "sim-sheets-key",
          spreadsheet: str = "sim-sales-sheet") -> requests.Response:
    params = {"key": key} if key else {}
    return requests.get(f"{server.url}/v4/spreadsheets/{spreadsheet}/values/{a1}", params=params, timeout=10)


def live_records(server: SimulatorServer, kind: str) -> list[dict]:
    return [record for record in server.world.crm[kind] if not record.get("archived")]


# -- auth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/crm/v3/objects/deals", "/crm/v3/owners", "/marketing/v3/campaigns",
                                  "/events/v3/events?objectType=contact"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}])
def test_hubspot_endpoints_reject_missing_or_wrong_tokens(server, path, headers):
    response = requests.get(server.url + path, headers=headers, timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")
    assert len(body["correlationId"]) == 36


def test_sheets_reject_missing_or_wrong_api_keys(server):
    missing = sheet(server, "Leads!1:1", key=None)
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    wrong = sheet(server, "Leads!1:1", key="nope")
    assert wrong.status_code == 400
    message = "API key not valid. Please pass a valid API key."
    assert wrong.json() == {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    unknown = sheet(server, "Leads!1:1", spreadsheet="someone-elses-sheet")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"


# -- CRM ---------------------------------------------------------------------------------------------------


def test_paging_through_all_deals_returns_each_once_in_id_order(server, hubspot):
    deals = page_all(hubspot, server, "/crm/v3/objects/deals", limit=100)
    ids = [deal["id"] for deal in deals]
    assert len(ids) == len(set(ids)) == len(live_records(server, "deals"))
    assert ids == sorted(ids, key=int)


def test_limit_defaults_to_10_and_is_clamped(server, hubspot):
    assert len(get(hubspot, server, "/crm/v3/objects/contacts")["results"]) == 10
    assert len(get(hubspot, server, "/crm/v3/objects/contacts", limit=500)["results"]) == 100
    history = get(hubspot, server, "/crm/v3/objects/deals", limit=100, propertiesWithHistory="dealstage")
    assert len(history["results"]) == 50


def test_owners_page(server, hubspot):
    owners = page_all(hubspot, server, "/crm/v3/owners", limit=3)
    active = {owner["id"] for owner in server.world.owners if not owner.get("archived")}
    assert {owner["id"] for owner in owners} == active
    assert {"email", "firstName", "lastName", "userId", "teams"} <= owners[0].keys()


def test_properties_associations_and_history_options(server, hubspot):
    default = get(hubspot, server, "/crm/v3/objects/deals", limit=5)["results"][0]
    assert {"dealname", "amount", "dealstage", "hs_object_id", "hs_lastmodifieddate"} <= set(
        default["properties"])
    assert "associations" not in default and "propertiesWithHistory" not in default

    chosen = get(hubspot, server, "/crm/v3/objects/deals", limit=5, properties="amount,dealstage",
                 associations="companies", propertiesWithHistory="dealstage")["results"]
    record = server.world.crm["deals"]
    by_id = {deal["id"]: deal for deal in record}
    for deal in chosen:
        assert set(deal["properties"]) == {"amount", "dealstage", "hs_object_id", "hs_createdate",
                                           "hs_lastmodifieddate"}
        source = by_id[deal["id"]]
        assert deal["properties"]["amount"] == source["properties"]["amount"]
        assert set(deal.get("associations", {})) <= {"companies"}
        history = deal["propertiesWithHistory"]["dealstage"]
        assert history == source["propertiesWithHistory"]["dealstage"]
        assert history[0]["value"] == deal["properties"]["dealstage"]  # newest first
    assert any("companies" in deal.get("associations", {}) for deal in chosen)


def test_get_one_object_and_unknown_ids(server, hubspot):
    deal = live_records(server, "deals")[3]
    body = get(hubspot, server, f"/crm/v3/objects/deals/{deal['id']}", associations="contacts,companies")
    assert body["id"] == deal["id"]
    assert body["updatedAt"] == deal["updatedAt"]
    missing = hubspot.get(f"{server.url}/crm/v3/objects/deals/999999999999", timeout=10)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    unknown_type = hubspot.get(f"{server.url}/crm/v3/objects/widgets", timeout=10)
    assert unknown_type.status_code == 404


def test_search_on_last_modified_returns_newer_records_in_order(server, hubspot):
    calls = live_records(server, "calls")
    stamps = sorted(to_epoch_ms(call["updatedAt"]) for call in calls)
    threshold = stamps[len(stamps) // 2]
    expected = sum(stamp >= threshold for stamp in stamps)
    found: list[dict] = []
    after: str | None = None
    while True:
        body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                               "value": str(threshold)}]}],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": ["hs_call_direction"], "limit": 200, **({"after": after} if after else {})}
        response = hubspot.post(f"{server.url}/crm/v3/objects/calls/search", json=body, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == expected
        found.extend(page["results"])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    modified = [to_epoch_ms(call["properties"]["hs_lastmodifieddate"]) for call in found]
    assert len(found) == expected
    assert min(modified) >= threshold
    assert modified == sorted(modified)
    assert all("associations" not in call for call in found)
    assert set(found[0]["properties"]) == {"hs_call_direction", "hs_object_id", "hs_createdate",
                                           "hs_lastmodifieddate"}
    # ISO values work as well as epoch millis
    iso = datetime.fromtimestamp(threshold / 1000, UTC).isoformat().replace("+00:00", "Z")
    iso_filter = {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": iso}
    same = hubspot.post(f"{server.url}/crm/v3/objects/calls/search", timeout=10,
                        json={"filterGroups": [{"filters": [iso_filter]}]})
    assert same.json()["total"] == expected


def test_search_or_of_and_groups(server, hubspot):
    deals = live_records(server, "deals")
    stage = deals[0]["properties"]["dealstage"]
    owner = deals[1]["properties"]["hubspot_owner_id"]
    body = {"filterGroups": [
        {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": stage},
                     {"propertyName": "amount", "operator": "GT", "value": "0"}]},
        {"filters": [{"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner}]}],
        "limit": 200}
    total = hubspot.post(f"{server.url}/crm/v3/objects/deals/search", json=body, timeout=10).json()["total"]
    expected = sum(
        (d["properties"]["dealstage"] == stage and float(d["properties"]["amount"] or 0) > 0)
        or d["properties"]["hubspot_owner_id"] == owner for d in deals)
    assert total == expected


def test_search_stops_at_the_result_cap_like_hubspot(server, hubspot, monkeypatch):
    monkeypatch.setattr(server.config, "search_result_cap", 30)
    url = f"{server.url}/crm/v3/objects/contacts/search"
    page = hubspot.post(url, json={"limit": 20, "after": "20"}, timeout=10).json()
    assert page["total"] == len(live_records(server, "contacts")) > 30
    assert len(page["results"]) == 10 and page["paging"]["next"]["after"] == "30"
    beyond = hubspot.post(url, json={"limit": 20, "after": "30"}, timeout=10)
    assert beyond.status_code == 400
    assert beyond.json()["status"] == "error" and beyond.json()["category"] == "VALIDATION_ERROR"
    too_big = hubspot.post(url, json={"limit": 201}, timeout=10)
    assert too_big.status_code == 400


def test_deal_pipelines(server, hubspot):
    body = get(hubspot, server, "/crm/v3/pipelines/deals")
    assert body == {"results": server.world.pipelines}
    stage = body["results"][0]["stages"][0]
    assert {"id", "label", "displayOrder", "metadata"} <= stage.keys()


# -- Marketing ---------------------------------------------------------------------------------------------


def test_campaigns_daily_report_and_events_page(server, hubspot):
    campaigns = page_all(hubspot, server, "/marketing/v3/campaigns", limit=2, properties="hs_name,channel")
    assert len(campaigns) == len(server.world.campaigns)
    assert all(set(item["properties"]) <= {"hs_name", "channel"} for item in campaigns)
    assert all(item["properties"]["hs_name"] for item in campaigns)
    assert get(hubspot, server, "/marketing/v3/campaigns", limit=1)["results"][0]["properties"] == {}

    guid, rows = next((guid, rows) for guid, rows in server.world.campaign_daily.items() if len(rows) > 5)
    dates = sorted({row["date"] for row in rows})
    start, end = dates[1], dates[-2]
    report = page_all(hubspot, server, f"/marketing/v3/campaigns/{guid}/reports/daily", startDate=start,
                      endDate=end, limit=3)
    expected = sorted((row for row in rows if start <= row["date"] <= end),
                      key=lambda row: (row["date"], row["channel"]))
    assert report == expected

    events = page_all(hubspot, server, "/events/v3/events", objectType="contact", limit=1000)
    assert len(events) == len(server.world.events)
    keys = [(to_epoch_ms(event["occurredAt"]), event["id"]) for event in events]
    assert keys == sorted(keys)
    middle = events[len(events) // 2]["occurredAt"]
    newer = page_all(hubspot, server, "/events/v3/events", objectType="contact", occurredAfter=middle,
                     limit=500)
    assert newer and all(to_epoch_ms(e["occurredAt"]) > to_epoch_ms(middle) for e in newer)
    one = events[0]
    mine = page_all(hubspot, server, "/events/v3/events", objectType="contact", objectId=one["objectId"],
                    eventType=one["eventType"])
    assert mine and {(e["objectId"], e["eventType"]) for e in mine} == {(one["objectId"], one["eventType"])}


# -- Sheets ------------------------------------------------------------------------------------------------


def test_sheet_ranges_follow_google_quirks(fresh_server):
    server = fresh_server
    leads = server.world.sheets["Leads"]
    header = sheet(server, "Leads!1:1").json()
    assert header == {"range": "Leads!A1:H1", "majorDimension": "ROWS", "values": [leads[0]]}

    whole = sheet(server, "Leads").json()
    assert whole["range"] == f"Leads!A1:H{len(leads)}"
    assert len(whole["values"]) == len(leads)
    assert sheet(server, "'Leads'!A1:H").json() == sheet(server, "Leads!A:H").json() == whole

    offset = sheet(server, "Leads!A5:H").json()
    assert offset["range"] == f"Leads!A5:H{len(leads)}"
    assert offset["values"][0] == leads[4][: len(offset["values"][0])]
    assert sheet(server, "Leads!B2:C3").json()["values"] == [row[1:3] for row in leads[1:3]]

    used = len(leads)
    server.append_lead_rows([["Trailing Cells", "98765 43210", "", "", "", "", "", ""], ["", "", ""]])
    tail = sheet(server, f"Leads!A{used + 1}:H{used + 5}").json()
    assert tail["range"] == f"Leads!A{used + 1}:H{used + 1}"  # clipped to the used area
    assert tail["values"] == [["Trailing Cells", "98765 43210"]]

    empty = sheet(server, f"Leads!A{used + 10}:H{used + 20}")
    assert empty.status_code == 200 and "values" not in empty.json()
    callers = sheet(server, "Callers").json()["values"]
    assert callers[0] == server.world.sheets["Callers"][0]

    unknown = sheet(server, "Nowhere!A1:B2")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "Unable to parse range: Nowhere!A1:B2"


# -- control endpoints -------------------------------------------------------------------------------------


def test_control_endpoints_append_advance_and_report(fresh_server):
    server = fresh_server
    url = server.url
    health = requests.get(f"{url}/_simulator/health", timeout=10).json()
    assert health["status"] == "ok"
    rows_before = len(server.world.sheets["Leads"])
    bad_row = ["Bad Row", "", "yesterday"]
    appended = requests.post(f"{url}/_simulator/leads", json={"rows": [bad_row]}, timeout=10)
    assert appended.json() == {"appended": 1, "rows": rows_before + 1}
    assert sheet(server, f"Leads!A{rows_before + 1}:H").json()["values"] == [bad_row]
    assert requests.post(f"{url}/_simulator/leads", json={"rows": "nope"}, timeout=10).status_code == 400

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.config.hubspot_token}"
    newest = max(to_epoch_ms(deal["updatedAt"]) for deal in server.world.crm["deals"])
    advanced = requests.post(f"{url}/_simulator/advance", params={"days": 2}, timeout=120).json()
    assert advanced["as_of"] > health["as_of"]
    search = session.post(f"{url}/crm/v3/objects/deals/search", timeout=10, json={
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GT",
                                       "value": str(newest)}]}]}).json()
    assert search["total"] > 0
    assert len(server.world.sheets["Leads"]) > rows_before + 1

    summary = requests.get(f"{url}/_simulator/summary", timeout=10).json()
    assert summary["counts"]["deals"] == len(server.world.crm["deals"])
    assert summary["sheets"]["Leads"] == len(server.world.sheets["Leads"])

    oracle = requests.get(f"{url}/_simulator/oracle/leads", timeout=10).json()["results"]
    assert len(oracle) == len(server.world.oracle_leads)
    paged = page_all(requests.Session(), server, "/_simulator/oracle/leads", limit=7)
    assert [item["lead_id"] for item in paged] == [item["lead_id"] for item in oracle]


# -- live feed ---------------------------------------------------------------------------------------------


def test_lead_rows_are_deterministic_and_cover_every_malformed_kind():
    now = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    assert make_lead_rows(50, random.Random(3), now, 0.3) == make_lead_rows(50, random.Random(3), now, 0.3)
    made = LeadRowFactory(random.Random(5), malformed_share=0.5).make(80, now)
    kinds = Counter(kind for kind, _ in made)
    assert set(MALFORMED_KINDS) <= kinds.keys()
    valid = [row for kind, row in made if kind == "valid"]
    assert all(len(row) == 8 and row[2] == "2026-11-20 12:00:00" for row in valid)  # Asia/Kolkata local time
    assert all(json.loads(row[7])["lead_id"] for row in valid)
    for kind, row in made:
        if kind == "exact_duplicate":
            assert row in valid
        elif kind == "reformatted_duplicate":
            original = next(v for v in valid if v[0] == row[0] and v[2] == row[2] and v[7] == row[7])
            assert original[1] != row[1]
            assert original[1][-5:].replace("-", "") == row[1][-5:].replace("-", "")
        elif kind == "unknown_state":
            assert row[5] == "Atlantis"
        elif kind == "empty_phone":
            assert row[1] == ""
        elif kind == "unicode_noise":
            assert "\u00a0" in row[0] and any("\uff10" <= char <= "\uff19" for char in row[1])


def test_live_feed_appends_at_roughly_the_configured_rate(fresh_server):
    server = fresh_server
    rows_before = len(server.world.sheets["Leads"])
    feed = LiveLeadFeed(server, rate_per_minute=1200, malformed_share=0.5, seed=11)
    started = time.monotonic()
    with feed:
        time.sleep(1.5)
    elapsed = time.monotonic() - started
    total = sum(feed.appended.values())
    assert 0.6 * elapsed * 20 <= total <= elapsed * 20 + 2
    assert len(server.world.sheets["Leads"]) == rows_before + total
    assert set(MALFORMED_KINDS) <= feed.appended.keys()
    assert requests.get(f"{server.url}/_simulator/summary", timeout=10).json()["live"] == dict(feed.appended)


# -- serve entry point -------------------------------------------------------------------------------------


def test_serve_main_runs_as_a_process_and_writes_its_ready_file(tmp_path):
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from simulator.server import serve_main; sys.exit(serve_main())",
         "--port", "0", "--scale", str(SCALE), "--ready-file", str(ready), "--live-rate", "600"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, "serve_main exited early"
            assert time.monotonic() < deadline, "no ready file"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["pid"] == process.pid
        assert process.stdout is not None and process.stdout.readline().strip() == info["url"]
        assert requests.get(f"{info['url']}/_simulator/health", timeout=10).json()["status"] == "ok"
        time.sleep(0.3)
        assert requests.get(f"{info['url']}/_simulator/summary", timeout=10).json()["live"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not ready.exists()


def test_associations_are_served_from_both_sides(server, hubspot):
    """A deal lists its calls although the World stores the link on the call, as HubSpot answers both ways."""
    call = next(c for c in server.world.crm["calls"] if c["associations"]["deals"]["results"])
    deal_id = call["associations"]["deals"]["results"][0]["id"]
    deal = get(hubspot, server, f"/crm/v3/objects/deals/{deal_id}", associations="calls")
    links = deal["associations"]["calls"]["results"]
    assert {"id": call["id"], "type": "deal_to_call"} in links
