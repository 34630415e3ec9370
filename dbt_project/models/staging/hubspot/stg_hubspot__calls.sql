with source as (

    {{ latest_versions(source('hubspot', 'calls'), 'id', 'hs_lastmodifieddate') }}

),

renamed as (

    select
        {{ stg_key('id') }} as call_id,
        {{ stg_timestamp('hs_timestamp') }} as occurred_at,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('hubspot_team_id') }} as team_id,
        -- hs_call_duration is in milliseconds
        round({{ stg_numeric('hs_call_duration') }} / 1000)::int as duration_seconds,
        lower({{ stg_text('hs_call_direction') }}) as direction,
        {{ stg_text('hs_call_disposition') }} as disposition,
        upper({{ stg_text('hs_call_status') }}) as status,
        coalesce({{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        hs_lastmodifieddate as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    call_id,
    occurred_at,
    {{ business_date('occurred_at') }} as occurred_date,
    owner_id,
    team_id,
    duration_seconds,
    direction,
    disposition,
    status,
    created_at,
    updated_at,
    is_archived
from renamed
