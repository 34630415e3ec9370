"""Schedules, in the business timezone so "daily" means an Indian business day."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import daily_refresh_job

BUSINESS_TIMEZONE = "Asia/Kolkata"

daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh_schedule",
    job=daily_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone=BUSINESS_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Full refresh every night at 02:00 IST, before sales teams start their day.",
)
