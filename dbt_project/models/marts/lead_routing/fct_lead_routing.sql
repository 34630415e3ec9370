{#- One row per lead stored by the assignment engine (ops.leads) and what routing did with it: the
    first decision (assigned by the engine, or queued because every candidate was paused or capped),
    its pool, fallback and callers skipped (from the audit log), the latency from submission to
    assignment, the current caller after manual reassignments and the lead's state in the unassigned
    queue. No personal data (name, phone). Builds empty while the ops lead-routing tables do not exist. -#}
-- depends_on: {{ source('ops', 'leads') }}
-- depends_on: {{ source('ops', 'unassigned_leads') }}
-- depends_on: {{ source('ops', 'assignment_log') }}
{%- set has_leads = ops_table_exists('leads') %}
{%- set has_queue = ops_table_exists('unassigned_leads') %}
{%- set has_log = ops_table_exists('assignment_log') %}
with leads as (

    {% if has_leads -%}
    select id, timestamp_from_sheet, created_at, lead_source, city, state, language, source, duplicate_count
    from {{ source('ops', 'leads') }}
    {%- else -%}
    select null::uuid as id, null::timestamptz as timestamp_from_sheet, null::timestamptz as created_at,
           null::text as lead_source, null::text as city, null::text as state, null::text as language,
           null::text as source, null::integer as duplicate_count
    where false
    {%- endif %}

),

queue as (

    {% if has_queue -%}
    select lead_id, queued_at, business_date, reason, needs_review, resolved_at
    from {{ source('ops', 'unassigned_leads') }}
    {%- else -%}
    select null::uuid as lead_id, null::timestamptz as queued_at, null::date as business_date,
           null::text as reason, null::boolean as needs_review, null::timestamptz as resolved_at
    where false
    {%- endif %}

),

first_decisions as (

    -- the engine logs exactly one `assigned` or `queued` event per new lead
    {% if has_log -%}
    select distinct on (lead_id)
        lead_id,
        coalesce((
            select sum(jsonb_array_length(coalesce(pool -> 'skipped', '[]'::jsonb)))
            from jsonb_array_elements(coalesce(decision -> 'pools', '[]'::jsonb)) as pool
        ), 0)::integer as callers_skipped,
        decision ->> 'fallback' as fallback_reason
    from {{ source('ops', 'assignment_log') }}
    where event in ('assigned', 'queued')
    order by lead_id, at, id
    {%- else -%}
    select null::uuid as lead_id, null::integer as callers_skipped, null::text as fallback_reason
    where false
    {%- endif %}

),

engine_assignments as (

    -- the engine assigns a lead at most once, when it arrives; later hand-overs are `manual`
    select lead_id, caller_id, routing_key, is_fallback, assigned_at, business_date, assignment_latency_seconds,
           lead_score
    from {{ ref('fct_lead_assignments') }}
    where not is_manual

),

current_assignments as (

    select lead_id, caller_id
    from {{ ref('fct_lead_assignments') }}
    where is_current

),

manual_assignments as (

    select lead_id, count(*) as reassignments
    from {{ ref('fct_lead_assignments') }}
    where is_manual
    group by lead_id

)

select
    leads.id::text as lead_id,
    leads.source as ingest_source,
    leads.lead_source,
    leads.city,
    leads.state,
    leads.language,
    leads.timestamp_from_sheet as submitted_at,
    {{ business_date('leads.timestamp_from_sheet') }} as submitted_date,
    leads.created_at as stored_at,
    coalesce(engine_assignments.assigned_at, queue.queued_at) as routed_at,
    coalesce(engine_assignments.business_date, queue.business_date) as routing_date,
    case
        when engine_assignments.lead_id is not null then 'assigned'
        when queue.lead_id is not null then 'queued'
        else 'unrouted'
    end as routing_outcome,
    engine_assignments.caller_id as initial_caller_id,
    engine_assignments.routing_key as initial_routing_key,
    coalesce(engine_assignments.is_fallback, false) as is_fallback,
    first_decisions.fallback_reason,
    first_decisions.callers_skipped,
    engine_assignments.assignment_latency_seconds,
    current_assignments.caller_id as current_caller_id,
    current_assignments.lead_id is not null as is_assigned,
    coalesce(manual_assignments.reassignments, 0)::integer as manual_assignments,
    queue.queued_at,
    queue.reason as queue_reason,
    queue.needs_review,
    queue.resolved_at as queue_resolved_at,
    queue.lead_id is not null and queue.resolved_at is null as is_open_in_queue,
    leads.duplicate_count,
    engine_assignments.lead_score
from leads
left join engine_assignments on engine_assignments.lead_id = leads.id::text
left join current_assignments on current_assignments.lead_id = leads.id::text
left join manual_assignments on manual_assignments.lead_id = leads.id::text
left join queue on queue.lead_id = leads.id
left join first_decisions on first_decisions.lead_id = leads.id
