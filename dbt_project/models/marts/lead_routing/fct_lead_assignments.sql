{#- One row per hand-over of a lead to a caller (ops.lead_assignments): the engine's routing decision
    (pool `state:<state>` or the `global` fallback) and managers' manual reassignments (`manual`), with
    the lead's submission and storage times, the latency from submission to assignment, and the
    caller's daily limit and count at that moment from the audit log. No personal data (name, phone):
    those stay in ops. Builds empty while the ops lead-routing tables do not exist. -#}
-- depends_on: {{ source('ops', 'lead_assignments') }}
-- depends_on: {{ source('ops', 'leads') }}
-- depends_on: {{ source('ops', 'assignment_log') }}
{%- set has_assignments = ops_table_exists('lead_assignments') %}
{%- set has_leads = ops_table_exists('leads') %}
{%- set has_log = ops_table_exists('assignment_log') %}
with assignments as (

    {% if has_assignments -%}
    select id, lead_id, caller_id, assigned_at, business_date, assignment_reason, status, routing_key,
           lead_score, ended_at
    from {{ source('ops', 'lead_assignments') }}
    {%- else -%}
    select null::uuid as id, null::uuid as lead_id, null::uuid as caller_id, null::timestamptz as assigned_at,
           null::date as business_date, null::text as assignment_reason, null::text as status,
           null::text as routing_key, null::double precision as lead_score, null::timestamptz as ended_at
    where false
    {%- endif %}

),

leads as (

    {% if has_leads -%}
    select id, timestamp_from_sheet, created_at, state, source
    from {{ source('ops', 'leads') }}
    {%- else -%}
    select null::uuid as id, null::timestamptz as timestamp_from_sheet, null::timestamptz as created_at,
           null::text as state, null::text as source
    where false
    {%- endif %}

),

decisions as (

    {% if has_log -%}
    select lead_id, caller_id, at, decision
    from {{ source('ops', 'assignment_log') }}
    where event in ('assigned', 'reassigned')
    {%- else -%}
    select null::uuid as lead_id, null::uuid as caller_id, null::timestamptz as at, null::jsonb as decision
    where false
    {%- endif %}

)

select
    assignments.id::text as assignment_id,
    assignments.lead_id::text as lead_id,
    assignments.caller_id::text as caller_id,
    assignments.routing_key,
    case
        when assignments.routing_key = 'manual' then 'manual'
        when assignments.routing_key = 'global' then 'global'
        else 'state'
    end as routing_pool,
    -- the engine always tries the lead's state pool first; a stateless lead has no state pool
    assignments.routing_key = 'global' as is_fallback,
    decisions.decision ->> 'fallback' as fallback_reason,
    assignments.routing_key = 'manual' as is_manual,
    assignments.status,
    assignments.status = 'active' as is_current,
    assignments.business_date,
    assignments.assigned_at,
    assignments.ended_at,
    leads.timestamp_from_sheet as lead_submitted_at,
    leads.created_at as lead_stored_at,
    extract(epoch from assignments.assigned_at - leads.timestamp_from_sheet)::double precision
        as assignment_latency_seconds,
    extract(epoch from assignments.assigned_at - leads.created_at)::double precision
        as storage_to_assignment_seconds,
    leads.state as lead_state,
    leads.source as lead_ingest_source,
    assignments.lead_score,
    (decisions.decision ->> 'daily_limit')::integer as caller_daily_limit,
    (decisions.decision ->> 'count')::integer as caller_count_that_day,
    assignments.assignment_reason
from assignments
inner join leads on leads.id = assignments.lead_id
left join decisions
    on decisions.lead_id = assignments.lead_id
    and decisions.caller_id = assignments.caller_id
    and decisions.at = assignments.assigned_at
