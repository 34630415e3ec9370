with source as (

    {{ latest_versions(source('hubspot', 'companies'), 'id', 'hs_lastmodifieddate') }}

),

renamed as (

    select
        {{ stg_key('id') }} as company_id,
        {{ stg_text('name') }} as company_name,
        lower({{ stg_text('domain') }}) as domain,
        {{ stg_text('industry') }} as industry,
        {{ stg_int('numberofemployees', 'int') }} as employees,
        {{ stg_money('annualrevenue') }} as annual_revenue,
        {{ stg_text('segment') }} as segment,
        {{ stg_text('city') }} as city,
        {{ stg_text('state') }} as state,
        {{ stg_text('country') }} as country,
        {{ stg_text('zip') }} as postal_code,
        {{ stg_numeric('lat', 'double precision') }} as latitude,
        {{ stg_numeric('lon', 'double precision') }} as longitude,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('territory') }} as territory,
        {{ stg_text('region') }} as region,
        lower({{ stg_text('lifecyclestage') }}) as lifecycle_stage,
        coalesce({{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        hs_lastmodifieddate as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    company_id,
    company_name,
    domain,
    industry,
    employees,
    annual_revenue,
    segment,
    city,
    state,
    country,
    postal_code,
    latitude,
    longitude,
    owner_id,
    territory,
    region,
    lifecycle_stage,
    created_at,
    updated_at,
    is_archived
from renamed
