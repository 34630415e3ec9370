{#- A table, unlike the other staging models: the same-instant dedupe is a window function over
    every row, which no filter can pass, and a dozen tests, fct_leads, the lead conversions and
    as_of_date() read this model; as a view each of them would recompute it whole.
    Incremental by phone: the dedupe partitions by phone, so a run recomputes every row of the phones
    that appear in rows loaded since the last build (and the phones those rows had before, should a
    reload have changed one) and replaces those phones' rows whole. -#}
{{
    config(
        materialized='incremental',
        unique_key='phone',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['sheet_row'], 'unique': true}, {'columns': ['phone']}, {'columns': ['loaded_at']}]
    )
}}

with source as (

    select * from {{ source('sheets', 'leads') }}
    {% if is_incremental() %}
    where {{ stg_text('phone') }} in (
        select {{ stg_text('phone') }} from {{ source('sheets', 'leads') }}
        where loaded_at > {{ built_watermark('loaded_at') }}
        union
        select built.phone from {{ this }} as built
        where built.sheet_row in (
            select row_number from {{ source('sheets', 'leads') }}
            where loaded_at > {{ built_watermark('loaded_at') }}
        )
    )
    {% endif %}

),

renamed as (

    select
        row_number::bigint as sheet_row,
        coalesce({{ stg_text('lead_id') }}, {{ stg_text("metadata ->> 'lead_id'") }}) as lead_id,
        {{ stg_text('name') }} as lead_name,
        {{ stg_text('phone') }} as phone,
        {{ stg_timestamp('lead_timestamp') }} as lead_created_at,
        {{ stg_text('lead_source') }} as lead_source,
        {{ stg_text('city') }} as city,
        {{ stg_text('state') }} as state,
        {{ stg_text('language') }} as language,
        lower({{ stg_text("metadata ->> 'email'") }}) as email,
        {{ stg_text("metadata ->> 'company'") }} as company_name,
        {{ stg_text("metadata ->> 'job_title'") }} as job_title,
        {{ stg_text("metadata ->> 'industry'") }} as industry,
        {{ stg_text("metadata ->> 'company_size'") }} as company_size,
        {{ stg_text("metadata ->> 'utm_campaign'") }} as utm_campaign,
        lower({{ stg_text("metadata ->> 'utm_medium'") }}) as utm_medium,
        lower({{ stg_text("metadata ->> 'utm_source'") }}) as utm_source,
        {{ stg_text("metadata ->> 'form'") }} as form_name,
        coalesce(jsonb_array_length(case when jsonb_typeof(validation_warnings) = 'array' then validation_warnings end), 0)
            as validation_warning_count,
        loaded_at as loaded_at
    from source

),

deduplicated as (

    -- the same person submitting twice at the same instant is one lead: the first row wins
    select
        *,
        row_number() over (partition by phone, lead_created_at order by sheet_row) as duplicate_rank
    from renamed

)

select
    sheet_row,
    lead_id,
    lead_name,
    phone,
    lead_created_at,
    {{ business_date('lead_created_at') }} as lead_date,
    lead_source,
    city,
    state,
    language,
    email,
    company_name,
    job_title,
    industry,
    company_size,
    utm_campaign,
    utm_medium,
    utm_source,
    form_name,
    validation_warning_count,
    loaded_at
from deduplicated
where duplicate_rank = 1
