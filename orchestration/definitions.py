"""The code location: every asset, job, schedule and resource, assembled in one place.

Kept cheap to import (no dbt parse, no network, heavy libraries imported inside the functions that
use them) because every run and every sensor tick loads it.
"""

from dagster import Definitions

from orchestration.assets.ingestion import ingestion_assets
from orchestration.jobs import daily_refresh_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_refresh_schedule

defs = Definitions(
    assets=[*ingestion_assets],
    jobs=[daily_refresh_job],
    schedules=[daily_refresh_schedule],
    resources=build_resources(),
)
