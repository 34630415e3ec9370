{#- Delete the whole days of the run window first, so a deal that is no longer open on a day of the
    window (reopened history, corrected dates) does not keep a stale row. Rendered at run time. -#}
{%- set delete_window_hook -%}
{% raw %}
{% if is_incremental() %}
delete from {{ this }}
where snapshot_date between
    {% if run_window_date('min') %}cast('{{ run_window_date('min') }}' as date){% else %}{{ as_of_date() }} - 3{% endif %}
    and {% if run_window_date('max') %}cast('{{ run_window_date('max') }}' as date){% else %}{{ as_of_date() }} - 1{% endif %}
{% endif %}
{% endraw %}
{%- endset -%}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['snapshot_date', 'deal_id'],
        on_schema_change='append_new_columns',
        pre_hook=delete_window_hook,
        indexes=[
            {'columns': ['snapshot_date', 'deal_id'], 'unique': true},
            {'columns': ['deal_id']},
            {'columns': ['rep_id', 'snapshot_date']},
        ]
    )
}}

{#- Daily pipeline snapshot: one row per deal open at the end of each business day (Asia/Kolkata) of
    the run window. On incremental runs the window is run_window_date('min')..('max') when given
    (Dagster's partition window), else the 3 days ending the day before as_of_date(); a first build or
    a full refresh covers every day since the first deal was created, at most the 730 days before
    as_of_date() (older history: run incrementally with min_date/max_date to backfill it). A deal is open on day d when it was created on or before d
    and has not closed by the end of d; its stage that day is the stage visit entered last before the
    end of d. Amount, owner and expected close date are the deal's current values (no history). -#}
with deals as (

    select
        deal_id,
        rep_id,
        team_id,
        region,
        stage_id,
        amount,
        created_date,
        close_date,
        {{ business_date('closed_at') }} as closed_date
    from {{ ref('fct_deals') }}

),

run_window as (

    select
        {% if is_incremental() and run_window_date('min') -%}
        cast('{{ run_window_date('min') }}' as date)
        {%- elif is_incremental() -%}
        {{ as_of_date() }} - 3
        {%- else -%}
        greatest((select min(created_date) from deals), {{ as_of_date() }} - 730)
        {%- endif %} as window_start,
        {% if is_incremental() and run_window_date('max') -%}
        cast('{{ run_window_date('max') }}' as date)
        {%- else -%}
        {{ as_of_date() }} - 1
        {%- endif %} as window_end

),

days as (

    select
        cast(day_ts as date) as snapshot_date,
        -- end of the business day: midnight Asia/Kolkata after d, as timestamptz
        (cast(day_ts as date) + 1)::timestamp at time zone '{{ var("business_timezone") }}' as day_end_at
    from run_window
    cross join lateral generate_series(
        cast(run_window.window_start as timestamp),
        cast(run_window.window_end as timestamp),
        interval '1 day'
    ) as day_ts

),

open_deals as (

    select
        days.snapshot_date,
        days.day_end_at,
        deals.deal_id,
        deals.rep_id,
        deals.team_id,
        deals.region,
        deals.stage_id as current_stage_id,
        deals.amount,
        deals.created_date,
        deals.close_date
    from days
    inner join deals
        on deals.created_date <= days.snapshot_date
        and (deals.closed_date is null or deals.closed_date > days.snapshot_date)

),

visits as (

    select
        deal_id,
        stage_id,
        entered_at,
        exited_at
    from {{ ref('int_deals__stage_visits') }}

),

staged as (

    select
        open_deals.snapshot_date,
        open_deals.deal_id,
        open_deals.rep_id,
        open_deals.team_id,
        open_deals.region,
        -- before the first recorded stage change the deal is taken to be in its current stage
        coalesce(visits.stage_id, open_deals.current_stage_id) as stage_id,
        open_deals.amount,
        open_deals.created_date,
        open_deals.close_date
    from open_deals
    left join visits
        on open_deals.deal_id = visits.deal_id
        and visits.entered_at < open_deals.day_end_at
        and (visits.exited_at is null or visits.exited_at >= open_deals.day_end_at)

),

stages as (

    select
        stage_id,
        probability
    from {{ ref('stg_hubspot__deal_stages') }}

)

select
    staged.snapshot_date,
    staged.deal_id,
    staged.rep_id,
    staged.team_id,
    staged.region,
    staged.stage_id,
    staged.amount,
    cast(stages.probability as numeric(5, 4)) as crm_probability,
    cast(staged.amount * stages.probability as numeric(18, 2)) as weighted_amount,
    staged.close_date as expected_close_date,
    staged.snapshot_date - staged.created_date as days_open
from staged
left join stages on staged.stage_id = stages.stage_id
