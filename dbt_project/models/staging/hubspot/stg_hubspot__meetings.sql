with source as (

    {{ latest_versions(source('hubspot', 'meetings'), 'id', 'hs_lastmodifieddate') }}

),

renamed as (

    select
        {{ stg_key('id') }} as meeting_id,
        {{ stg_timestamp('hs_timestamp') }} as occurred_at,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('hubspot_team_id') }} as team_id,
        {{ stg_text('hs_meeting_title') }} as title,
        upper({{ stg_text('hs_meeting_outcome') }}) as outcome,
        {{ stg_timestamp('hs_meeting_start_time') }} as started_at,
        {{ stg_timestamp('hs_meeting_end_time') }} as ended_at,
        coalesce({{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        hs_lastmodifieddate as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    meeting_id,
    occurred_at,
    {{ business_date('occurred_at') }} as occurred_date,
    owner_id,
    team_id,
    title,
    outcome,
    started_at,
    ended_at,
    extract(epoch from ended_at - started_at)::int as duration_seconds,
    created_at,
    updated_at,
    is_archived
from renamed
