{#- Leads per minute: one row per business minute (Asia/Kolkata local time) in which a lead was
    submitted or routed. `leads_submitted` is the arrival rate (the sheet's timestamp), `leads_routed`
    the engine's throughput (the routing decision's time); both are equal in real time, while a batch
    that routes a day's leads at once shows up as a peak of leads_routed. -#}
with leads as (

    select
        submitted_at,
        routed_at,
        routing_outcome,
        is_fallback
    from {{ ref('fct_lead_routing') }}

),

submitted as (

    select
        date_trunc('minute', submitted_at at time zone '{{ var("business_timezone") }}') as business_minute,
        count(*) as leads_submitted
    from leads
    group by 1

),

routed as (

    select
        date_trunc('minute', routed_at at time zone '{{ var("business_timezone") }}') as business_minute,
        count(*) as leads_routed,
        count(*) filter (where routing_outcome = 'assigned') as leads_assigned,
        count(*) filter (where routing_outcome = 'queued') as leads_queued,
        count(*) filter (where is_fallback) as fallback_assignments
    from leads
    where routed_at is not null
    group by 1

)

select
    coalesce(submitted.business_minute, routed.business_minute) as business_minute,
    coalesce(submitted.business_minute, routed.business_minute)::date as business_date,
    coalesce(submitted.leads_submitted, 0)::integer as leads_submitted,
    coalesce(routed.leads_routed, 0)::integer as leads_routed,
    coalesce(routed.leads_assigned, 0)::integer as leads_assigned,
    coalesce(routed.leads_queued, 0)::integer as leads_queued,
    coalesce(routed.fallback_assignments, 0)::integer as fallback_assignments
from submitted
full outer join routed on routed.business_minute = submitted.business_minute
