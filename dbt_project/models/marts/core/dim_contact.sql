{{
    config(
        materialized='incremental',
        unique_key='contact_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['contact_id'], 'unique': true}, {'columns': ['updated_at']}]
    )
}}

{#- CRM contacts with a seniority band derived from the job title. Incremental: a run merges the
    contacts modified since the latest updated_at already loaded (the filter reaches the raw scan of
    the staging view). -#}
with contacts as (

    select
        contact_id,
        first_name,
        last_name,
        email,
        job_title,
        lifecycle_stage,
        company_id,
        lead_id,
        owner_id,
        created_at,
        updated_at
    from {{ ref('stg_hubspot__contacts') }}
    {#- A table built before the cursor column existed is rebuilt whole, once. #}
    {% if is_incremental_with('updated_at') %}
    where updated_at > (select max(updated_at) from {{ this }})
    {% endif %}

)

select
    contact_id,
    nullif(trim(concat_ws(' ', first_name, last_name)), '') as contact_name,
    email,
    job_title,
    case
        when job_title ~* '(^|[^a-z])(ceo|cto|cfo|coo|cmo|cro|cio)([^a-z]|$)'
          or job_title ~* 'chief|founder|managing director|president' and job_title !~* 'vice president'
            then 'C-level'
        when job_title ~* '(^|[^a-z])vp([^a-z]|$)|vice president|head'
            then 'VP'
        when job_title ~* 'director'
            then 'Director'
        when job_title ~* 'manager'
            then 'Manager'
        else 'Other'
    end as seniority,
    lifecycle_stage,
    company_id as account_id,
    lead_id,
    owner_id as owner_rep_id,
    created_at,
    updated_at
from contacts
