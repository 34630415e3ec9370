"""Schedules, in the business timezone so "daily" means an Indian business day."""

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job

from orchestration.jobs import daily_refresh_job

daily_refresh_schedule = build_schedule_from_partitioned_job(
    daily_refresh_job,
    name="daily_refresh_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 IST, for the business day that just ended, before sales teams start.",
)
