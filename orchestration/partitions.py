"""Partitions shared by assets, jobs and schedules: business days in Asia/Kolkata."""

from dagster import DailyPartitionsDefinition

BUSINESS_TIMEZONE = "Asia/Kolkata"
DAILY_PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01", timezone=BUSINESS_TIMEZONE)
