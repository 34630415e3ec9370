"""Jobs: the daily refresh runs every asset of the code location in dependency order: ingestion,
data-quality checks, then `dbt build` (snapshots, staging, marts, KPIs), for one business day."""

from dagster import AssetSelection, define_asset_job

daily_refresh_job = define_asset_job(
    name="daily_refresh",
    selection=AssetSelection.all(),
    description="Load every source system, check it, and rebuild the warehouse for one business day.",
    tags={"salesops/job": "daily_refresh"},
)
