"""Jobs: the daily refresh runs ingestion, data-quality checks, the batch lead routing (callers and leads the
sensor did not route, group `lead_routing`), `dbt build` (snapshots, staging, marts, KPIs) and the daily ML
scores for one business day; the weekly ML training job retrains the models (a
challenger is promoted only through its gate) and the revenue forecast."""

from dagster import AssetSelection, define_asset_job

from orchestration.assets.ml import TRAINING_GROUP

daily_refresh_job = define_asset_job(
    name="daily_refresh",
    selection=AssetSelection.all() - AssetSelection.groups(TRAINING_GROUP),
    description="Load every source system, check it, sync callers and route recent leads the sensor missed, rebuild "
                "the warehouse and score deals and leads for one business day.",
    tags={"salesops/job": "daily_refresh"},
)

ml_training_job = define_asset_job(
    name="ml_training",
    selection=AssetSelection.groups(TRAINING_GROUP),
    description="Retrain deal-win and lead scoring (challenger -> gate -> champion) and the revenue forecast.",
    tags={"salesops/job": "ml_training"},
)
