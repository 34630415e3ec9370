"""The code location: every asset, check, job, schedule and resource, assembled in one place.

Kept cheap to import (no dbt parse, no network; dbt, great-expectations and the ML libraries are
imported inside the steps that use them) because every run and every sensor tick loads it.
"""

from dagster import Definitions

from orchestration.assets.ingestion import ingestion_assets
from orchestration.assets.lead_routing import lead_routing_assets
from orchestration.assets.ml import ml_assets, ml_checks
from orchestration.assets.quality_checks import quality_checks
from orchestration.assets.warehouse import warehouse_assets
from orchestration.jobs import daily_refresh_job, ml_training_job
from orchestration.lead_sensor import new_leads_sensor, sheets_leads_load_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_refresh_schedule, ml_training_schedule
from orchestration.territory_jobs import apply_territory_plan, territory_reoptimization

defs = Definitions(
    assets=[*ingestion_assets, *lead_routing_assets, *warehouse_assets, *ml_assets],
    asset_checks=[*quality_checks, *ml_checks],
    jobs=[daily_refresh_job, ml_training_job, territory_reoptimization, apply_territory_plan, sheets_leads_load_job],
    schedules=[daily_refresh_schedule, ml_training_schedule],
    sensors=[new_leads_sensor],
    resources=build_resources(),
)
