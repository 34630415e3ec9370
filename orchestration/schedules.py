"""Schedules, in the business timezone so "daily" means an Indian business day."""

from dagster import DefaultScheduleStatus, ScheduleDefinition, build_schedule_from_partitioned_job

from orchestration.jobs import daily_refresh_job, ml_training_job
from orchestration.partitions import BUSINESS_TIMEZONE

daily_refresh_schedule = build_schedule_from_partitioned_job(
    daily_refresh_job,
    name="daily_refresh_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 IST, for the business day that just ended, before sales teams start.",
)

ml_training_schedule = ScheduleDefinition(
    name="ml_training_schedule",
    job=ml_training_job,
    cron_schedule="0 4 * * 1",
    execution_timezone=BUSINESS_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Mondays at 04:00 IST, after the nightly refresh: retrain, gate and forecast on the week's data.",
)
