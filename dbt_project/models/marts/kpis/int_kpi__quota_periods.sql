{#- Rep quotas and bookings against quota (fct_quota_attainment) rolled up by grain x period:
    attainment of the group (sum of bookings / sum of quota), the average rep attainment and the
    share of reps with a quota that reached it. Company grain filled for every period. -#}
with quota as (

    select * from {{ ref('fct_quota_attainment') }}

),

periods as (

    select period_grain, period_start from {{ ref('int_kpi__periods') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        quota.period_grain,
        quota.period_start,
        quota.rep_id,
        quota.quota_amount,
        quota.bookings_amount,
        quota.attainment,
        quota.is_at_quota
    from quota
    {{ kpi_grains({'region': 'quota.region', 'team': 'quota.team_id', 'rep': 'quota.rep_id'}) }}
    inner join periods
        on quota.period_grain = periods.period_grain
        and quota.period_start = periods.period_start
    where kpi_grain.entity_id is not null

),

aggregated as (

    select
        grain,
        entity_id,
        period_grain,
        period_start,
        coalesce(sum(quota_amount), 0) as quota_amount,
        coalesce(sum(bookings_amount), 0) as quota_bookings,
        count(distinct rep_id) filter (where quota_amount > 0) as reps_with_quota,
        count(distinct rep_id) filter (where quota_amount > 0 and is_at_quota) as reps_at_quota,
        trim_scale(avg(attainment) filter (where quota_amount > 0)) as average_rep_attainment
    from fanned
    group by grain, entity_id, period_grain, period_start

),

keys as (

    {{ kpi_company_keys() }}

),

filled as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        coalesce(aggregated.quota_amount, 0) as quota_amount,
        coalesce(aggregated.quota_bookings, 0) as quota_bookings,
        coalesce(aggregated.reps_with_quota, 0) as reps_with_quota,
        coalesce(aggregated.reps_at_quota, 0) as reps_at_quota,
        aggregated.average_rep_attainment
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('quota_bookings', 'quota_amount') }} as quota_attainment,
        {{ safe_divide('reps_at_quota', 'reps_with_quota') }} as share_of_reps_at_quota,
        case when quota_amount > 0 then greatest(quota_amount - quota_bookings, 0) end as quota_gap
    from filled

)

select * from final
