{#- Accounts (HubSpot companies) as a type-2 slowly changing dimension from the snapshot
    snap_hubspot__companies (timestamp strategy on updated_at). One row per version; the first
    version of each account starts at the company's created_at (changes before the first snapshot
    are unknown: the first version carries the values seen at the first snapshot). The current
    version's owner is the one an applied territory plan gives the account on as_of_date
    (ops.territory_alignment), else the CRM owner; crm_owner_rep_id keeps the CRM's. -#}
-- depends_on: {{ ref('stg_hubspot__deals') }}
-- depends_on: {{ ref('stg_sheets__leads') }}
{%- set alignment = ops_table_exists('territory_alignment') %}
with snapshot as (

    select
        company_id,
        company_name,
        industry,
        segment,
        employees,
        annual_revenue,
        city,
        state,
        region,
        territory,
        owner_id,
        latitude,
        longitude,
        created_at,
        dbt_valid_from,
        dbt_valid_to,
        row_number() over (partition by company_id order by dbt_valid_from) as version_number
    from {{ ref('snap_hubspot__companies') }}

),

versions as (

    select
        company_id,
        company_name,
        industry,
        segment,
        employees,
        annual_revenue,
        city,
        state,
        region,
        territory,
        owner_id,
        latitude,
        longitude,
        case
            when version_number = 1 then least(coalesce(created_at, dbt_valid_from), dbt_valid_from)
            else dbt_valid_from
        end as valid_from,
        dbt_valid_to as valid_to
    from snapshot

),

aligned as (

    {% if alignment -%}
    select unit_id as account_id, rep_id as aligned_rep_id, valid_from as aligned_from
    from {{ source('ops', 'territory_alignment') }}
    where valid_from <= {{ as_of_date() }} and (valid_to is null or valid_to > {{ as_of_date() }})
    {%- else -%}
    select null::text as account_id, null::text as aligned_rep_id, null::date as aligned_from
    where false
    {%- endif %}

)

select
    md5(company_id || '|' || extract(epoch from valid_from)::text) as account_version_key,
    company_id as account_id,
    company_name as account_name,
    industry,
    segment,
    employees,
    annual_revenue,
    case
        when employees is null then null
        when employees <= 50 then '1-50'
        when employees <= 200 then '51-200'
        when employees <= 1000 then '201-1000'
        when employees <= 5000 then '1001-5000'
        else '5000+'
    end as size_band,
    city,
    state,
    region,
    territory as territory_id,
    case when valid_to is null then coalesce(aligned.aligned_rep_id, owner_id) else owner_id end as owner_rep_id,
    owner_id as crm_owner_rep_id,
    case when valid_to is null then aligned.aligned_from end as aligned_from,
    latitude,
    longitude,
    valid_from,
    valid_to,
    valid_to is null as is_current
from versions
left join aligned on aligned.account_id = versions.company_id
