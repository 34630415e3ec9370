{#- The lead-routing metrics per business date (Asia/Kolkata): leads submitted and routed, assigned,
    queued and fallback counts, leads per minute, the unassigned queue, assignment latency percentiles,
    caller utilisation and round-robin fairness. One row per date on which a lead was submitted, routed
    or reassigned. -#}
with minutes as (

    select business_date, leads_submitted, leads_routed
    from {{ ref('lead_routing_minutely') }}

),

per_minute as (

    select
        business_date,
        sum(leads_submitted) as leads_submitted,
        count(*) filter (where leads_routed > 0) as active_minutes,
        max(leads_routed) as peak_leads_routed_per_minute,
        max(leads_submitted) as peak_leads_submitted_per_minute
    from minutes
    group by business_date

),

routed as (

    select
        routing_date as business_date,
        count(*) as leads_routed,
        count(*) filter (where routing_outcome = 'assigned') as leads_assigned,
        count(*) filter (where routing_outcome = 'queued') as leads_queued,
        count(*) filter (where is_fallback) as fallback_assignments,
        count(*) filter (where is_open_in_queue) as open_unassigned,
        percentile_cont(0.5) within group (order by assignment_latency_seconds) as latency_p50_seconds,
        percentile_cont(0.95) within group (order by assignment_latency_seconds) as latency_p95_seconds,
        percentile_cont(0.99) within group (order by assignment_latency_seconds) as latency_p99_seconds,
        max(assignment_latency_seconds) as latency_max_seconds
    from {{ ref('fct_lead_routing') }}
    where routing_date is not null
    group by routing_date

),

manual as (

    select business_date, count(*) as manual_assignments
    from {{ ref('fct_lead_assignments') }}
    where is_manual
    group by business_date

),

callers as (

    select
        business_date,
        count(*) filter (where leads_assigned > 0) as callers_assigned,
        count(*) filter (where is_at_cap) as callers_at_cap,
        avg(utilisation) as avg_utilisation
    from {{ ref('lead_routing_caller_daily') }}
    group by business_date

),

pools as (

    select
        business_date,
        max(assignment_spread) as max_assignment_spread,
        max(uncapped_assignment_spread) as max_uncapped_assignment_spread
    from {{ ref('lead_routing_pool_daily') }}
    group by business_date

),

days as (

    select business_date from per_minute
    union
    select business_date from routed
    union
    select business_date from manual

)

select
    days.business_date,
    coalesce(per_minute.leads_submitted, 0)::integer as leads_submitted,
    coalesce(routed.leads_routed, 0)::integer as leads_routed,
    coalesce(routed.leads_assigned, 0)::integer as leads_assigned,
    coalesce(routed.leads_queued, 0)::integer as leads_queued,
    coalesce(routed.fallback_assignments, 0)::integer as fallback_assignments,
    coalesce(manual.manual_assignments, 0)::integer as manual_assignments,
    coalesce(routed.open_unassigned, 0)::integer as open_unassigned,
    coalesce(per_minute.active_minutes, 0)::integer as active_minutes,
    coalesce(per_minute.peak_leads_routed_per_minute, 0)::integer as peak_leads_routed_per_minute,
    coalesce(per_minute.peak_leads_submitted_per_minute, 0)::integer as peak_leads_submitted_per_minute,
    case when per_minute.active_minutes > 0
         then routed.leads_routed::double precision / per_minute.active_minutes end
        as avg_leads_per_active_minute,
    routed.latency_p50_seconds,
    routed.latency_p95_seconds,
    routed.latency_p99_seconds,
    routed.latency_max_seconds,
    coalesce(callers.callers_assigned, 0)::integer as callers_assigned,
    coalesce(callers.callers_at_cap, 0)::integer as callers_at_cap,
    callers.avg_utilisation,
    pools.max_assignment_spread,
    pools.max_uncapped_assignment_spread
from days
left join per_minute on per_minute.business_date = days.business_date
left join routed on routed.business_date = days.business_date
left join manual on manual.business_date = days.business_date
left join callers on callers.business_date = days.business_date
left join pools on pools.business_date = days.business_date
