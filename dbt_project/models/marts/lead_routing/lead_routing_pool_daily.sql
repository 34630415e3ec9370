{#- Round-robin fairness: one row per routing pool (`state:<state>`, `global`) and business date,
    over the callers who received at least one of the pool's leads that day (manual hand-overs are no
    pool's). assignment_spread = max - min leads per caller, which caps and pauses widen by design;
    uncapped_assignment_spread takes only the callers who never reached their daily cap that day
    (unlimited or below it), for whom the rotation gives at most one lead of difference while the
    pool's callers and their statuses do not change. -#}
with assignments as (

    select caller_id, business_date, routing_key
    from {{ ref('fct_lead_assignments') }}
    where not is_manual

),

caller_days as (

    select caller_id, business_date, is_at_cap
    from {{ ref('lead_routing_caller_daily') }}

),

per_caller as (

    select
        assignments.routing_key,
        assignments.business_date,
        assignments.caller_id,
        count(*) as leads_assigned,
        coalesce(bool_or(caller_days.is_at_cap), false) as reached_cap
    from assignments
    left join caller_days
        on caller_days.caller_id = assignments.caller_id
        and caller_days.business_date = assignments.business_date
    group by assignments.routing_key, assignments.business_date, assignments.caller_id

)

select
    routing_key,
    business_date,
    case when routing_key = 'global' then 'global' else 'state' end as routing_pool,
    sum(leads_assigned)::integer as leads_assigned,
    count(*)::integer as callers_assigned,
    min(leads_assigned)::integer as min_per_caller,
    max(leads_assigned)::integer as max_per_caller,
    (max(leads_assigned) - min(leads_assigned))::integer as assignment_spread,
    (count(*) filter (where not reached_cap))::integer as uncapped_callers,
    (max(leads_assigned) filter (where not reached_cap)
        - min(leads_assigned) filter (where not reached_cap))::integer as uncapped_assignment_spread
from per_caller
group by routing_key, business_date
