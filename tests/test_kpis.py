"""The KPI layer end to end: simulator data loaded by dlt into a fresh database, one `dbt build` of
the whole project, then the KPI catalogue, `kpi_values` and the MetricFlow semantic layer are
checked against each other.

One database and one dbt build are shared by the session's tests (`built_warehouse` in conftest).
"""

from __future__ import annotations

import csv
import datetime
import shutil
import sys
from pathlib import Path

import psycopg
import pytest

from salesops.dbt_env import DBT_PROJECT_DIR, PRODUCTION_BUILD_FLAGS
from salesops.dbt_env import run_tool as _run

BIN = Path(sys.executable).parent

# semantic-layer metric -> kpi_catalogue code (the metrics' meta.kpi_code)
CORE_METRICS = {
    "bookings": "BOOKINGS",
    "won_deals": "WON_DEALS",
    "lost_deals": "LOST_DEALS",
    "closed_deals": "CLOSED_DEALS",
    "win_rate_count": "WIN_RATE_COUNT",
    "win_rate_amount": "WIN_RATE_AMOUNT",
    "average_deal_size": "AVERAGE_DEAL_SIZE",
    "sales_cycle_length": "SALES_CYCLE_LENGTH",
    "pipeline_created": "PIPELINE_CREATED",
    "deals_created": "DEALS_CREATED",
    "leads": "LEADS",
    "mqls": "MQLS",
    "sqls": "SQLS",
    "lead_to_opportunity_rate": "LEAD_TO_OPPORTUNITY_RATE",
    "lead_to_win_rate": "LEAD_TO_WIN_RATE",
    "activities": "ACTIVITIES",
    "calls": "CALLS",
    "emails": "EMAILS",
    "meetings": "MEETINGS",
    "quota": "QUOTA",
    "quota_attainment": "QUOTA_ATTAINMENT",
}


def _catalogue() -> list[dict[str, str]]:
    with open(DBT_PROJECT_DIR / "seeds" / "kpi_catalogue.csv", newline="") as f:
        return list(csv.DictReader(f))


def _last_complete_month(url: str):
    with psycopg.connect(url) as conn:
        return conn.execute("select last_complete_month_start from marts.int_kpi__as_of").fetchone()[0]


def test_catalogue_covers_the_modules_and_enough_kpis():
    rows = _catalogue()
    computed = [row for row in rows if row["status"] == "computed"]
    assert len(rows) >= 80 and len(computed) >= 50
    assert all(row["missing_data"] for row in rows if row["status"] == "needs_data")
    with open(DBT_PROJECT_DIR / "seeds" / "kpi_module_map.csv", newline="") as f:
        modules = {row["module_code"] for row in csv.DictReader(f)}
    assert len(modules) == 13 and {"BUS_DEV", "CHANNEL_SALES", "SALES_TRAINING_COACHING"} <= modules


# KPIs that can be undefined in a month, with the (company-grain, same month) denominator that must
# then be zero: at the test scale a month can have no running campaign, no won deal, or no bookings
# a year ago.
UNDEFINED_WHEN_ZERO = {
    **{code: ("int_kpi__deal_periods", "won_deals", 0) for code in (
        "AVERAGE_DEAL_SIZE", "SALES_CYCLE_LENGTH", "AVERAGE_DISCOUNT", "GROSS_MARGIN_PCT", "AVERAGE_SELLING_PRICE",
        "MEETINGS_PER_WON_DEAL", "ACTIVITIES_PER_WON_DEAL", "MARKETING_SOURCED_BOOKINGS_SHARE")},
    "CLICK_THROUGH_RATE": ("int_kpi__marketing_periods", "impressions", 0),
    "COST_PER_MILLE": ("int_kpi__marketing_periods", "impressions", 0),
    "COST_PER_CLICK": ("int_kpi__marketing_periods", "clicks", 0),
    "COST_PER_LEAD": ("int_kpi__marketing_periods", "attributed_leads", 0),
    "MARKETING_ROI": ("int_kpi__marketing_periods", "marketing_spend", 0),
    "CAC": ("int_kpi__deal_periods", "marketing_new_customers", 0),
    "COST_PER_OPPORTUNITY": ("int_kpi__pipeline_created_periods", "marketing_sourced_deals_created", 0),
    "BOOKINGS_GROWTH_YOY": ("int_kpi__deal_periods", "bookings", 12),
    "PIPELINE_CREATED_GROWTH_YOY": ("int_kpi__pipeline_created_periods", "pipeline_created", 12),
    "LEADS_GROWTH_YOY": ("int_kpi__lead_periods", "leads", 12),
}


def test_every_computed_kpi_has_a_company_value_for_the_last_complete_month(built_warehouse):
    url = built_warehouse["url"]
    month = _last_complete_month(url)
    with psycopg.connect(url) as conn:
        values = dict(conn.execute(
            "select kpi_code, value from marts.kpi_values where grain = 'company' and entity_id = 'company' "
            "and period_grain = 'month' and period_start = %s", (month,)).fetchall())
        in_db = {code for (code,) in conn.execute(
            "select kpi_code from seeds.kpi_catalogue where status = 'computed'")}
        undefined = {code for code, value in values.items() if value is None}
        for code in undefined:
            assert code in UNDEFINED_WHEN_ZERO, f"{code} has no value for {month}"
            model, denominator, months_back = UNDEFINED_WHEN_ZERO[code]
            (zero,) = conn.execute(
                f"select coalesce(sum({denominator}), 0) = 0 from marts.{model} where grain = 'company' "
                "and period_grain = 'month' and period_start = (%s::date - make_interval(months => %s))::date",
                (month, months_back)).fetchone()
            assert zero, f"{code} is null for {month} although {model}.{denominator} is not zero"
    computed = {row["kpi_code"] for row in _catalogue() if row["status"] == "computed"}
    assert in_db == computed
    assert computed - set(values) == set()
    assert len(computed - undefined) >= 50


def test_semantic_layer_agrees_with_kpi_values(built_warehouse):
    url, target = built_warehouse["url"], built_warehouse["target"]
    # mf reads <project>/target/semantic_manifest.json: the one written by this build
    default_target = DBT_PROJECT_DIR / "target"
    default_target.mkdir(exist_ok=True)
    shutil.copy(target / "semantic_manifest.json", default_target / "semantic_manifest.json")
    month = _last_complete_month(url)
    month_last_day = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    out = built_warehouse["work"] / "mf.csv"
    query = _run("mf", "query", "--metrics", ",".join(CORE_METRICS), "--group-by", "metric_time__month",
                 "--start-time", month.isoformat(), "--end-time", month_last_day.isoformat(),
                 "--csv", str(out), "--quiet", url=url, timeout=300)
    assert query.returncode == 0, query.stdout[-4000:] + query.stderr[-4000:]
    with open(out, newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["metric_time__month"].startswith(month.isoformat())]
    assert len(rows) == 1, rows
    mf_values = rows[0]
    with psycopg.connect(url) as conn:
        kpi_values = dict(conn.execute(
            "select kpi_code, value from marts.kpi_values where grain = 'company' and period_grain = 'month' "
            "and period_start = %s and kpi_code = any(%s)", (month, list(CORE_METRICS.values()))).fetchall())
    for metric, kpi_code in CORE_METRICS.items():
        expected = float(kpi_values[kpi_code])
        actual = float(mf_values[metric])
        assert actual == pytest.approx(expected, rel=1e-6, abs=1e-9), (metric, actual, expected)


# CRM edits the simulated days do not make, each reaching rows built long before: the daily run must
# find the old rows they change through the incremental models' watermarks and stored links
LATE_CRM_EDITS = [
    # a contact moves to another lead: both leads' conversions change, and the deals' leads
    """update raw_crm.contacts as edited
       set lead_id = (select min(lead_id) from raw_crm.contacts where lead_id > edited.lead_id),
           updated_at = (select max(updated_at) from raw_crm.contacts) + interval '1 second',
           hs_lastmodifieddate = (select max(hs_lastmodifieddate) from raw_crm.contacts) + interval '1 second'
       where id = (select min(id) from raw_crm.contacts
                   where lead_id is not null and id in (select value from raw_crm.deals__contacts_ids))""",
    # a deal's own lead id changes: the old lead loses the deal
    """update raw_crm.deals as edited
       set lead_id = (select min(lead_id) from raw_crm.deals where lead_id > edited.lead_id),
           updated_at = (select max(updated_at) from raw_crm.deals) + interval '1 second'
       where id = (select min(id) from raw_crm.deals where lead_id is not null and hs_is_closed_won = 'true')""",
    # an account moves to another region: its deals move in every region rollup
    """update raw_crm.companies as edited
       set region = (select min(region) from raw_crm.companies where region <> edited.region),
           updated_at = (select max(updated_at) from raw_crm.companies) + interval '1 second',
           hs_lastmodifieddate = (select max(hs_lastmodifieddate) from raw_crm.companies) + interval '1 second'
       where id = (select min(value) from raw_crm.deals__companies_ids)""",
    # a stage's probability changes: the weighted pipeline of every period and every deal in it
    """update raw_crm.deal_pipelines__stages
       set metadata = jsonb_set(metadata, '{probability}', '"0.25"')
       where id = 'appointmentscheduled'""",
]


def test_daily_run_equals_a_full_rebuild(built_warehouse):
    """After two simulated days are ingested and a few late CRM edits made, the daily run (incremental
    models, window-filtered tests) leaves every incremental model exactly as a full rebuild from the
    same raw data would."""
    import json

    import requests
    from psycopg import sql

    url, work, simulator = built_warehouse["url"], built_warehouse["work"], built_warehouse["simulator"]
    last_day_sql = "select max(lead_date) from staging.stg_sheets__leads"
    with psycopg.connect(url) as conn:
        first_new_day = conn.execute(last_day_sql).fetchone()[0] + datetime.timedelta(days=1)
    requests.post(f"{simulator.url}/_simulator/advance", params={"days": 2}, timeout=120).raise_for_status()
    built_warehouse["load"]()
    with psycopg.connect(url) as conn:
        for edit in LATE_CRM_EDITS:
            assert conn.execute(edit).rowcount == 1, edit
    with psycopg.connect(url) as conn:
        new_day = conn.execute(last_day_sql).fetchone()[0]
    # the two new days in one run, as a Dagster backfill of both partitions (single-run policy) does
    window = {"SALESOPS_DBT_MIN_DATE": str(first_new_day), "SALESOPS_DBT_MAX_DATE": str(new_day)}
    target = Path(work / "target-daily")
    daily = _run("dbt", "build", *PRODUCTION_BUILD_FLAGS, "--target-path", str(target),
                 url=url, env=window)
    assert daily.returncode == 0, daily.stdout[-4000:]
    compiled = next((target / "compiled").rglob("not_null_fct_activities_activity_id*.sql")).read_text()
    assert f"updated_at >= '{first_new_day}'::date" in compiled

    manifest = json.loads((target / "manifest.json").read_text())
    incremental = {node["name"]: (node["schema"], node["alias"]) for node in manifest["nodes"].values()
                   if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"}
    assert {"int_activities__unioned", "dim_contact", "int_kpi__deal_periods", "int_kpi__lead_periods",
            "int_kpi__stage_periods", "int_kpi__activity_periods"} <= incremental.keys()

    def relation_rows(conn, schema: str, table: str) -> sql.Composable:
        columns = [row[0] for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
            "order by column_name", (schema, table))]
        # a daily snapshot keeps each past day as it was then (a rebuild restates them with today's
        # values) and holds only the days of the runs' windows
        where = (sql.SQL(" where snapshot_date between {} and {}").format(first_new_day, new_day)
                 if table == "fct_pipeline_daily" else sql.SQL(""))
        return sql.SQL("select {} from {}{}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(schema, table), where)

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema daily_copy")
        for name, (schema, table) in incremental.items():
            conn.execute(sql.SQL("create table {} as {}").format(
                sql.Identifier("daily_copy", name), relation_rows(conn, schema, table)))
    full = _run("dbt", "run", "--select", "config.materialized:incremental", "--full-refresh",
                "--target-path", str(target), url=url)
    assert full.returncode == 0, full.stdout[-4000:]
    with psycopg.connect(url) as conn:
        differing = {}
        for name, (schema, table) in incremental.items():
            rebuilt = relation_rows(conn, schema, table)
            kept = sql.SQL("table {}").format(sql.Identifier("daily_copy", name))
            count = conn.execute(sql.SQL(
                "select count(*) from (({kept} except all {rebuilt}) union all ({rebuilt} except all {kept})) d"
            ).format(kept=kept, rebuilt=rebuilt)).fetchone()[0]
            if count:
                differing[name] = count
        conn.execute("drop schema daily_copy cascade")
    assert differing == {}


def test_staging_keeps_the_latest_version_when_raw_keys_are_not_unique(built_warehouse):
    """dlt-loaded tables carry a unique index on their primary key and staging reads them as is; a raw
    table without one (loaded by other means) may hold several versions of a row, and staging keeps the
    latest."""
    url, work = built_warehouse["url"], built_warehouse["work"]
    owner_view = "select count(*), count(distinct owner_id), min(team_id) filter (where owner_id = %s) " \
                 "from staging.stg_hubspot__owners"
    with psycopg.connect(url, autocommit=True) as conn:
        owner_id, team_id = conn.execute("select id, team_id from raw_crm.owners order by id limit 1").fetchone()
        conn.execute("drop index raw_crm.owners__merge_key")
        conn.execute("""insert into raw_crm.owners
                        select (jsonb_populate_record(null::raw_crm.owners, to_jsonb(owners)
                            || jsonb_build_object('_dlt_id', 'older-version', 'team_id', 'team-before',
                                                  'updated_at', updated_at - interval '30 days'))).*
                        from raw_crm.owners where id = %s""", (owner_id,))
    try:
        rebuilt = _run("dbt", "run", "--select", "stg_hubspot__owners", "--target-path", str(work / "target-dedupe"),
                       url=url)
        assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
        with psycopg.connect(url) as conn:
            rows, owners, team = conn.execute(owner_view, (owner_id,)).fetchone()
        assert rows == owners and team == team_id
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("delete from raw_crm.owners where _dlt_id = 'older-version'")
            conn.execute("create unique index owners__merge_key on raw_crm.owners (id)")
        restored = _run("dbt", "run", "--select", "stg_hubspot__owners", "--target-path",
                        str(work / "target-dedupe"), url=url)
        assert restored.returncode == 0, restored.stdout[-4000:]
