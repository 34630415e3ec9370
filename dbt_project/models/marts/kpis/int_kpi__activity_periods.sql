{{
    config(
        materialized='incremental',
        unique_key=['grain', 'entity_id', 'period_grain', 'period_start'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#- Sales activities (calls, emails, meetings) by grain (company, region, team, rep) x period of the
    activity date, with per-rep productivity formulas. Region comes from the rep's team.
    Company grain filled for every period. Incremental: a run recomputes only the periods (months
    and quarters) containing an activity changed since the last build, plus periods new since then;
    every figure of a period is local to it, so the other periods stay right. -#}

with teams as (

    select team_id, region from {{ ref('dim_team') }}

),

periods as (

    select period_grain, period_start from {{ ref('int_kpi__periods') }}
    {#- A table built before the watermark column existed is recomputed whole, once. #}
    {% if is_incremental_with('activities_updated_at') %}
    where period_end >= (
        select min(activity_date) from {{ ref('fct_activities') }}
        where updated_at > (select max(activities_updated_at) from {{ this }})
    )
        or period_start > (select max(period_start) from {{ this }})
    {% endif %}

),

activities as (

    select * from {{ ref('fct_activities') }}
    where activity_date >= (select min(period_start) from periods)

),

enriched as (

    select
        activities.activity_id,
        activities.activity_type,
        activities.activity_date,
        activities.rep_id,
        activities.team_id,
        teams.region,
        activities.duration_seconds,
        activities.updated_at,
        lower(activities.outcome) in ('connected', 'f240bbac-87c9-4f6e-bf70-924b57d47db7') as is_connected
    from activities
    left join teams on activities.team_id = teams.team_id

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        enriched.*
    from enriched
    {{ kpi_periods('enriched.activity_date') }}
    {{ kpi_grains({'region': 'enriched.region', 'team': 'enriched.team_id', 'rep': 'enriched.rep_id'}) }}
    inner join periods
        on kpi_period.period_grain = periods.period_grain
        and kpi_period.period_start = periods.period_start
    where kpi_grain.entity_id is not null

),

aggregated as (

    select
        grain,
        entity_id,
        period_grain,
        period_start,
        count(*) as activities,
        count(*) filter (where activity_type = 'call') as calls,
        count(*) filter (where activity_type = 'email') as emails,
        count(*) filter (where activity_type = 'meeting') as meetings,
        count(*) filter (where activity_type = 'call' and is_connected) as connected_calls,
        count(distinct rep_id) as active_reps,
        max(updated_at) as activities_updated_at,
        avg(duration_seconds) filter (where activity_type = 'call' and duration_seconds > 0) / 60.0
            as average_call_duration_minutes
    from fanned
    group by grain, entity_id, period_grain, period_start

),

keys as (

    {{ kpi_company_keys() }}

),

filled as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        coalesce(aggregated.activities, 0) as activities,
        coalesce(aggregated.calls, 0) as calls,
        coalesce(aggregated.emails, 0) as emails,
        coalesce(aggregated.meetings, 0) as meetings,
        coalesce(aggregated.connected_calls, 0) as connected_calls,
        coalesce(aggregated.active_reps, 0) as active_reps,
        aggregated.activities_updated_at,
        trim_scale(aggregated.average_call_duration_minutes::numeric) as average_call_duration_minutes
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('activities', 'active_reps') }} as activities_per_rep,
        {{ safe_divide('calls', 'active_reps') }} as calls_per_rep,
        {{ safe_divide('emails', 'active_reps') }} as emails_per_rep,
        {{ safe_divide('meetings', 'active_reps') }} as meetings_per_rep,
        {{ safe_divide('connected_calls', 'calls') }} as call_connect_rate
    from filled

)

select * from final
