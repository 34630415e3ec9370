with source as (

    {{ latest_versions(source('hubspot', 'contacts'), 'id', 'hs_lastmodifieddate') }}

),

renamed as (

    select
        {{ stg_key('id') }} as contact_id,
        {{ stg_text('firstname') }} as first_name,
        {{ stg_text('lastname') }} as last_name,
        lower({{ stg_text('email') }}) as email,
        {{ stg_text('phone') }} as phone,
        regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') as phone_digits,
        {{ stg_text('jobtitle') }} as job_title,
        lower({{ stg_text('lifecyclestage') }}) as lifecycle_stage,
        upper({{ stg_text('hs_lead_status') }}) as lead_status,
        {{ stg_text('lead_id') }} as lead_id,
        {{ stg_text('associatedcompanyid') }} as company_id,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('city') }} as city,
        {{ stg_text('state') }} as state,
        upper({{ stg_text('hs_analytics_source') }}) as analytics_source,
        {{ stg_timestamp('hs_sa_first_engagement_date') }} as first_engagement_at,
        coalesce({{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        hs_lastmodifieddate as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    contact_id,
    first_name,
    last_name,
    nullif(concat_ws(' ', first_name, last_name), '') as full_name,
    email,
    phone,
    -- the Indian mobile number in E.164, comparable with the Leads sheet's phone
    case when length(phone_digits) >= 10 then '+91' || right(phone_digits, 10) end as phone_e164,
    job_title,
    lifecycle_stage,
    lead_status,
    lead_id,
    company_id,
    owner_id,
    city,
    state,
    analytics_source,
    first_engagement_at,
    created_at,
    updated_at,
    is_archived
from renamed
