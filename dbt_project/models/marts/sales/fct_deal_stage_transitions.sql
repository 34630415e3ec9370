{{
    config(
        indexes=[
            {'columns': ['transition_id'], 'unique': true},
            {'columns': ['deal_id', 'entered_at']},
        ]
    )
}}

{#- One visit of a deal to a pipeline stage (from the dealstage history). hours_in_stage is null while
    the visit is current (the deal is still in that stage, or it is the deal's final closed stage). -#}
with visits as (

    select
        transition_id,
        deal_id,
        stage_id,
        visit_number,
        entered_at,
        exited_at,
        next_stage_id,
        is_current
    from {{ ref('int_deals__stage_visits') }}

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
    deals.owner_id as rep_id
from visits
left join stages on visits.stage_id = stages.stage_id
left join deals on visits.deal_id = deals.deal_id
