{#- One row per caller of the lead-routing engine (ops.callers) with the states they serve. Builds
    empty while the ops lead-routing tables do not exist (a new warehouse): CI builds fresh ones. -#}
-- depends_on: {{ source('ops', 'callers') }}
-- depends_on: {{ source('ops', 'caller_states') }}
{%- set has_callers = ops_table_exists('callers') %}
{%- set has_states = ops_table_exists('caller_states') %}
with callers as (

    {% if has_callers -%}
    select id, name, role, languages, daily_limit, status, created_at, updated_at
    from {{ source('ops', 'callers') }}
    {%- else -%}
    select null::uuid as id, null::text as name, null::text as role, null::text[] as languages,
           null::integer as daily_limit, null::text as status, null::timestamptz as created_at,
           null::timestamptz as updated_at
    where false
    {%- endif %}

),

caller_states as (

    {% if has_states -%}
    select caller_id, state
    from {{ source('ops', 'caller_states') }}
    {%- else -%}
    select null::uuid as caller_id, null::text as state
    where false
    {%- endif %}

),

served as (

    select
        caller_id,
        string_agg(state, ', ' order by state) as states,
        count(*) as state_count
    from caller_states
    group by caller_id

)

select
    callers.id::text as caller_id,
    callers.name as caller_name,
    callers.role,
    nullif(array_to_string(callers.languages, ', '), '') as languages,
    callers.daily_limit,
    callers.daily_limit = 0 as is_unlimited,
    callers.status,
    callers.status = 'active' as is_active,
    served.states,
    coalesce(served.state_count, 0)::integer as state_count,
    callers.created_at,
    {{ business_date('callers.created_at') }} as created_date,
    callers.updated_at
from callers
left join served on served.caller_id = callers.id
