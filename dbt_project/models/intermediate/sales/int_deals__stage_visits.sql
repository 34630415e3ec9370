{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['deal_id']}, {'columns': ['deal_updated_at']}]
    )
}}

{#- One row per visit of a deal to a stage. HubSpot's dealstage history lists every change; consecutive
    entries with the same stage are collapsed into one visit. A visit ends when the next one starts
    (lead()); the last visit of a deal is its current one (exited_at null).
    Incremental by deal: a run rebuilds every visit of the deals modified since the latest
    deal_updated_at already built (a stage change modifies the deal) and replaces them whole. -#}
with history as (

    select
        deal_id,
        stage_id,
        changed_at,
        deal_updated_at
    from {{ ref('stg_hubspot__deal_stage_history') }}
    {% if is_incremental_with('deal_updated_at') %}
    where deal_updated_at > {{ built_watermark('deal_updated_at') }}
    {% endif %}

),

flagged as (

    select
        deal_id,
        stage_id,
        changed_at,
        deal_updated_at,
        lag(stage_id) over (partition by deal_id order by changed_at, stage_id) as previous_stage_id
    from history

),

visits as (

    select
        deal_id,
        stage_id,
        changed_at as entered_at,
        deal_updated_at
    from flagged
    where previous_stage_id is null
       or previous_stage_id <> stage_id

),

sequenced as (

    select
        deal_id,
        stage_id,
        entered_at,
        deal_updated_at,
        lead(entered_at) over (partition by deal_id order by entered_at) as exited_at,
        lead(stage_id) over (partition by deal_id order by entered_at) as next_stage_id,
        row_number() over (partition by deal_id, stage_id order by entered_at) as visit_number,
        row_number() over (partition by deal_id order by entered_at) as deal_visit_sequence
    from visits

)

select
    md5(deal_id || '|' || extract(epoch from entered_at)::text) as transition_id,
    deal_id,
    stage_id,
    visit_number,
    deal_visit_sequence,
    entered_at,
    exited_at,
    next_stage_id,
    exited_at is null as is_current,
    deal_updated_at
from sequenced
