"""Jobs: the daily full refresh runs every asset of the code location, in dependency order."""

from dagster import AssetSelection, define_asset_job

daily_refresh_job = define_asset_job(
    name="daily_refresh",
    selection=AssetSelection.all(),
    description="Load every source system into the warehouse (later issues add dbt, ML and checks).",
    tags={"salesops/job": "daily_refresh"},
)
