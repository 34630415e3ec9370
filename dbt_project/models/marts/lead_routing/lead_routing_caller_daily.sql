{#- Caller utilisation: one row per caller and business date on which leads were routed, for every
    caller who was not inactive and existed by that day, plus any caller-day with assignments. Counts
    every lead handed to the caller that day (engine and manual, including leads reassigned away
    later), which is what the daily cap counts. The limit is the one in effect at the caller's last
    assignment of the day (audit log), else the caller's current limit; 0 = unlimited, and then
    utilisation is null. -#}
with assignments as (

    select
        caller_id,
        business_date,
        assigned_at,
        is_manual,
        is_fallback,
        is_current,
        caller_daily_limit
    from {{ ref('fct_lead_assignments') }}

),

callers as (

    select caller_id, caller_name, daily_limit, status, created_date
    from {{ ref('dim_caller') }}

),

routing_days as (

    select distinct routing_date as business_date
    from {{ ref('fct_lead_routing') }}
    where routing_date is not null

),

assigned as (

    select
        caller_id,
        business_date,
        count(*) as leads_assigned,
        count(*) filter (where not is_manual) as engine_assignments,
        count(*) filter (where is_manual) as manual_assignments,
        count(*) filter (where is_fallback) as fallback_assignments,
        count(*) filter (where is_current) as still_assigned,
        (array_agg(caller_daily_limit order by assigned_at desc)
            filter (where caller_daily_limit is not null))[1] as limit_in_effect
    from assignments
    group by caller_id, business_date

),

caller_days as (

    select caller_id, business_date
    from assigned
    union
    select callers.caller_id, routing_days.business_date
    from callers
    cross join routing_days
    where callers.status <> 'inactive'
        and callers.created_date <= routing_days.business_date

),

combined as (

    select
        caller_days.caller_id,
        callers.caller_name,
        caller_days.business_date,
        coalesce(assigned.leads_assigned, 0)::integer as leads_assigned,
        coalesce(assigned.engine_assignments, 0)::integer as engine_assignments,
        coalesce(assigned.manual_assignments, 0)::integer as manual_assignments,
        coalesce(assigned.fallback_assignments, 0)::integer as fallback_assignments,
        coalesce(assigned.still_assigned, 0)::integer as still_assigned,
        coalesce(assigned.limit_in_effect, callers.daily_limit) as daily_limit
    from caller_days
    left join assigned
        on assigned.caller_id = caller_days.caller_id
        and assigned.business_date = caller_days.business_date
    left join callers on callers.caller_id = caller_days.caller_id

)

select
    caller_id,
    caller_name,
    business_date,
    leads_assigned,
    engine_assignments,
    manual_assignments,
    fallback_assignments,
    still_assigned,
    daily_limit,
    daily_limit = 0 as is_unlimited,
    case when daily_limit > 0 then leads_assigned::double precision / daily_limit end as utilisation,
    daily_limit > 0 and leads_assigned >= daily_limit as is_at_cap
from combined
