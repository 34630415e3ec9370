"""Data quality of the raw loads: great-expectations suites kept in `quality/suites`, run by `validation`.

Nothing here imports great_expectations at module level (it takes seconds), so the Dagster code
location can list the suites cheaply.
"""
