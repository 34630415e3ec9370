{#- CRM contacts with a seniority band derived from the job title. -#}
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
        created_at
    from {{ ref('stg_hubspot__contacts') }}

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
    created_at
from contacts
