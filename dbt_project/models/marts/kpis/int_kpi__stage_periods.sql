{{ kpi_period_incremental_config() }}

{#- Stage visits that ended in the period (exited open stages), by grain (company, region, team,
    rep) x period of the exit date: stage-to-stage conversion (the deal moved on to a later stage or
    was won, rather than lost) and time spent in the stage, overall and per open stage. Company grain filled for every period. -#}
{%- set open_stages = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled',
                       'decisionmakerboughtin', 'contractsent'] -%}
with transitions as (

    select * from {{ ref('fct_deal_stage_transitions') }}

),

stages as (

    select stage_id, display_order, is_closed, is_won from {{ ref('dim_deal_stage') }}

),

deals as (

    select deal_id, team_id, region from {{ ref('fct_deals') }}

),


stage_exits as (

    select
        transitions.transition_id,
        transitions.stage_id,
        transitions.rep_id,
        deals.team_id,
        deals.region,
        {{ business_date('transitions.exited_at') }} as exit_date,
        transitions.hours_in_stage / 24.0 as days_in_stage,
        coalesce(
            next_stage.is_won
            or (not next_stage.is_closed and next_stage.display_order > current_stage.display_order),
            false
        ) as is_advanced
    from transitions
    inner join stages as current_stage on transitions.stage_id = current_stage.stage_id
    left join stages as next_stage on transitions.next_stage_id = next_stage.stage_id
    left join deals on transitions.deal_id = deals.deal_id
    where transitions.exited_at is not null
        and not current_stage.is_closed

),

periods as (

    {{ kpi_periods_to_build('stage_exits', 'stage_exits.exit_date') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        stage_exits.*
    from stage_exits
    {{ kpi_periods('stage_exits.exit_date') }}
    {{ kpi_grains({'region': 'stage_exits.region', 'team': 'stage_exits.team_id', 'rep': 'stage_exits.rep_id'}) }}
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
        count(*) as stage_exits,
        count(*) filter (where is_advanced) as stage_advances,
        trim_scale(avg(days_in_stage)) as average_days_in_stage
        {%- for stage in open_stages %},
        count(*) filter (where stage_id = '{{ stage }}') as exits_{{ stage }},
        count(*) filter (where stage_id = '{{ stage }}' and is_advanced) as advances_{{ stage }},
        trim_scale(avg(days_in_stage) filter (where stage_id = '{{ stage }}')) as days_in_{{ stage }}
        {%- endfor %}
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
        coalesce(aggregated.stage_exits, 0) as stage_exits,
        coalesce(aggregated.stage_advances, 0) as stage_advances,
        aggregated.average_days_in_stage
        {%- for stage in open_stages %},
        coalesce(aggregated.exits_{{ stage }}, 0) as exits_{{ stage }},
        coalesce(aggregated.advances_{{ stage }}, 0) as advances_{{ stage }},
        aggregated.days_in_{{ stage }}
        {%- endfor %}
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('stage_advances', 'stage_exits') }} as stage_conversion_rate
        {%- for stage in open_stages %},
        {{ safe_divide('advances_' ~ stage, 'exits_' ~ stage) }} as conversion_{{ stage }}
        {%- endfor %}
    from filled

)

{{ kpi_rows_with_fingerprint() }}
