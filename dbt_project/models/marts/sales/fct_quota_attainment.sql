{#- Quota attainment per rep and period: monthly quotas from the HubSpot goal targets against bookings
    (won deal amounts by close month, attributed to the deal owner), and fiscal quarters as the sum
    of their months. attainment = bookings / quota (null when the quota is 0 or missing). -#}
with quotas as (

    select
        owner_id as rep_id,
        cast(date_trunc('month', period_start) as date) as period_start,
        max(team_id) as quota_team_id,
        sum(target_amount) as quota_amount
    from {{ ref('stg_hubspot__goal_targets') }}
    where owner_id is not null
    group by owner_id, cast(date_trunc('month', period_start) as date)

),

bookings as (

    select
        rep_id,
        cast(date_trunc('month', close_date) as date) as period_start,
        max(team_id) as deal_team_id,
        sum(amount) as bookings_amount
    from {{ ref('fct_deals') }}
    where is_won
      and rep_id is not null
      and close_date is not null
    group by rep_id, cast(date_trunc('month', close_date) as date)

),

rep_months as (

    select
        coalesce(quotas.rep_id, bookings.rep_id) as rep_id,
        coalesce(quotas.period_start, bookings.period_start) as period_start,
        coalesce(quotas.quota_team_id, bookings.deal_team_id) as team_id,
        quotas.quota_amount,
        coalesce(bookings.bookings_amount, 0) as bookings_amount
    from quotas
    full outer join bookings
        on quotas.rep_id = bookings.rep_id
        and quotas.period_start = bookings.period_start

),

current_reps as (

    select
        rep_id,
        team_id
    from {{ ref('dim_rep') }}
    where is_current

),

months as (

    select
        rep_months.rep_id,
        coalesce(rep_months.team_id, current_reps.team_id) as team_id,
        'month' as period_grain,
        rep_months.period_start,
        dates.fiscal_quarter_start,
        rep_months.quota_amount,
        rep_months.bookings_amount
    from rep_months
    left join current_reps on rep_months.rep_id = current_reps.rep_id
    left join {{ ref('dim_date') }} as dates on rep_months.period_start = dates.date_day

),

quarters as (

    select
        rep_id,
        -- the team of the quarter's latest month
        (array_agg(team_id order by period_start desc))[1] as team_id,
        'quarter' as period_grain,
        fiscal_quarter_start as period_start,
        sum(quota_amount) as quota_amount,
        sum(bookings_amount) as bookings_amount
    from months
    group by rep_id, fiscal_quarter_start

),

periods as (

    select rep_id, team_id, period_grain, period_start, quota_amount, bookings_amount from months
    union all
    select rep_id, team_id, period_grain, period_start, quota_amount, bookings_amount from quarters

),

teams as (

    select
        team_id,
        region
    from {{ ref('dim_team') }}

)

select
    periods.rep_id,
    periods.team_id,
    teams.region,
    periods.period_grain,
    periods.period_start,
    cast(periods.quota_amount as numeric(18, 2)) as quota_amount,
    cast(periods.bookings_amount as numeric(18, 2)) as bookings_amount,
    cast(
        case when periods.quota_amount > 0 then periods.bookings_amount / periods.quota_amount end
        as numeric(12, 4)
    ) as attainment,
    case
        when periods.quota_amount > 0 then periods.bookings_amount >= periods.quota_amount
    end as is_at_quota
from periods
left join teams on periods.team_id = teams.team_id
