{#- The stage history is a child table of deals; joining its parent only resolves the deal id and
    its last modification (same raw object, not a cross-entity join). The modification time is
    constant per deal, so it sits in the dedupe partition: a filter on deal_updated_at (daily-run
    tests, the incremental stage visits) then reaches the scan. -#}
with history as (

    select * from {{ source('hubspot', 'deals__dealstage_history') }}

),

deals as (

    select
        _dlt_id,
        id,
        updated_at
    from {{ source('hubspot', 'deals') }}

),

renamed as (

    select
        {{ stg_key('deals.id') }} as deal_id,
        {{ stg_text('history.stage') }} as stage_id,
        {{ stg_timestamp('history.changed_at') }} as changed_at,
        upper({{ stg_text('history.source_type') }}) as source_type,
        history._dlt_list_idx as history_index,
        deals.updated_at as deal_updated_at
    from history
    inner join deals on deals._dlt_id = history._dlt_parent_id

),

deduplicated as (

    select
        *,
        row_number() over (partition by deal_id, deal_updated_at, changed_at, stage_id order by history_index) as duplicate_rank
    from renamed

)

select
    deal_id,
    stage_id,
    changed_at,
    source_type,
    history_index,
    deal_updated_at
from deduplicated
where duplicate_rank = 1
