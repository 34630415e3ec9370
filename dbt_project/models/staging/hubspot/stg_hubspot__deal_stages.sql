{#- Stages are a child table of the pipelines response; the join to the parent pipeline only
    resolves the pipeline id (same raw object). -#}
with stages as (

    select * from {{ source('hubspot', 'deal_pipelines__stages') }}

),

pipelines as (

    select * from {{ source('hubspot', 'deal_pipelines') }}

),

renamed as (

    select
        {{ stg_key('stages.id') }} as stage_id,
        {{ stg_key('pipelines.id') }} as pipeline_id,
        {{ stg_text('pipelines.label') }} as pipeline_label,
        {{ stg_text('stages.label') }} as stage_label,
        stages.display_order::int as display_order,
        {{ stg_numeric("stages.metadata ->> 'probability'") }} as probability,
        coalesce({{ stg_boolean("stages.metadata ->> 'isClosed'") }}, false) as is_closed,
        coalesce(stages.archived, false) as is_archived,
        {{ stg_timestamp('stages.updated_at') }} as updated_at
    from stages
    inner join pipelines on pipelines._dlt_id = stages._dlt_parent_id

),

final as (

    select
        stage_id,
        pipeline_id,
        pipeline_label,
        stage_label,
        display_order,
        probability,
        is_closed,
        -- HubSpot marks a stage closed and gives it a probability; won = closed at probability 1
        is_closed and coalesce(probability, 0) >= 1 as is_won,
        is_archived,
        row_number() over (partition by stage_id order by updated_at desc nulls last, pipeline_id) as version_rank
    from renamed

)

select
    stage_id,
    pipeline_id,
    pipeline_label,
    stage_label,
    display_order,
    probability,
    is_closed,
    is_won,
    is_archived
from final
where version_rank = 1
