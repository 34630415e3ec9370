{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['transition_id'], 'unique': true},
            {'columns': ['deal_id', 'entered_at']},
            {'columns': ['deal_updated_at']},
        ]
    )
}}

{#- One visit of a deal to a pipeline stage (from the dealstage history). hours_in_stage is null while
    the visit is current (the deal is still in that stage, or it is the deal's final closed stage).
    Incremental by deal: a run replaces the visits of the deals modified since the latest
    deal_updated_at built (owner changes modify the deal too), and of the deals whose stage's display
    order changed. -#}
{%- set incremental = is_incremental_with('deal_updated_at') %}
with visits as (

    select
        transition_id,
        deal_id,
        stage_id,
        visit_number,
        entered_at,
        exited_at,
        next_stage_id,
        is_current,
        deal_updated_at
    from {{ ref('int_deals__stage_visits') }}
    {% if incremental %}
    where deal_id in (
        select deal_id from {{ ref('int_deals__stage_visits') }}
        where deal_updated_at > {{ built_watermark('deal_updated_at') }}
        union
        select built.deal_id
        from {{ this }} as built
        inner join {{ ref('stg_hubspot__deal_stages') }} as stages on built.stage_id = stages.stage_id
        where built.stage_order is distinct from stages.display_order
    )
    {% endif %}

),

stages as (

    select
        stage_id,
        display_order
    from {{ ref('stg_hubspot__deal_stages') }}

),

deals as (

    select
        deal_id,
        owner_id
    from {{ ref('stg_hubspot__deals') }}

)

select
    visits.transition_id,
    visits.deal_id,
    visits.stage_id,
    stages.display_order as stage_order,
    cast(visits.visit_number as integer) as visit_number,
    visits.entered_at,
    visits.exited_at,
    visits.next_stage_id,
    round(cast(extract(epoch from (visits.exited_at - visits.entered_at)) / 3600.0 as numeric), 2)
        as hours_in_stage,
    visits.is_current,
    deals.owner_id as rep_id,
    visits.deal_updated_at
from visits
left join stages on visits.stage_id = stages.stage_id
left join deals on visits.deal_id = deals.deal_id
