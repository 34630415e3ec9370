{{ config(severity='error') }}

{#- Row-count-drop guard on the daily pipeline snapshot: no snapshot_date may hold fewer than 50% of
    the rows of the previous snapshot_date present in the table (a partial load or a broken join
    shows up as a sudden drop). Gaps between loaded windows (backfills) are not flagged. A run with
    a date window (a Dagster partition) checks the window's days against the day before them, the
    days it can have written; builds without one check every day. -#}
{%- set window_start = run_window_date('min') %}
with counts as (

    select
        snapshot_date,
        count(*) as row_count
    from {{ ref('fct_pipeline_daily') }}
    {% if window_start -%}
    where snapshot_date >= coalesce(
        (select max(snapshot_date) from {{ ref('fct_pipeline_daily') }} where snapshot_date < '{{ window_start }}'::date),
        '{{ window_start }}'::date
    )
    {% endif -%}
    group by snapshot_date

),

compared as (

    select
        snapshot_date,
        row_count,
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date,
        lag(row_count) over (order by snapshot_date) as previous_row_count
    from counts

)

select
    snapshot_date,
    row_count,
    previous_snapshot_date,
    previous_row_count
from compared
where row_count < 0.5 * previous_row_count
