with source as (

    {{ latest_versions(source('hubspot', 'emails'), 'id', 'hs_lastmodifieddate') }}

),

renamed as (

    select
        {{ stg_key('id') }} as email_id,
        {{ stg_timestamp('hs_timestamp') }} as occurred_at,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('hubspot_team_id') }} as team_id,
        upper({{ stg_text('hs_email_direction') }}) as hubspot_direction,
        {{ stg_text('hs_email_subject') }} as subject,
        upper({{ stg_text('hs_email_status') }}) as status,
        coalesce({{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        hs_lastmodifieddate as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    email_id,
    occurred_at,
    {{ business_date('occurred_at') }} as occurred_date,
    owner_id,
    team_id,
    -- HubSpot: EMAIL (sent by the rep), INCOMING_EMAIL (reply), FORWARDED_EMAIL
    case hubspot_direction
        when 'INCOMING_EMAIL' then 'inbound'
        when 'EMAIL' then 'outbound'
        when 'FORWARDED_EMAIL' then 'outbound'
    end as direction,
    hubspot_direction,
    subject,
    status,
    created_at,
    updated_at,
    is_archived
from renamed
