{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['activity_id'], 'unique': true},
            {'columns': ['deal_id']},
            {'columns': ['rep_id', 'activity_date']},
            {'columns': ['activity_date']},
            {'columns': ['updated_at']},
        ]
    )
}}

{#- One sales activity (call, email or meeting). Incremental: a run merges the engagements modified
    since the latest updated_at already loaded. -#}
with activities as (

    select
        activity_id,
        activity_type,
        source_id,
        occurred_at,
        activity_date,
        rep_id,
        team_id,
        deal_id,
        account_id,
        contact_id,
        duration_seconds,
        direction,
        outcome,
        updated_at
    from {{ ref('int_activities__unioned') }}
    {% if is_incremental() %}
    where updated_at > (select max(updated_at) from {{ this }})
    {% endif %}

)

select * from activities
