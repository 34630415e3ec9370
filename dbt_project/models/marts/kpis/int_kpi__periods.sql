{#- The KPI period spine: every month and fiscal quarter from the first deal up to the period
    containing as_of_date() (complete periods plus the current partial one). -#}
with as_of as (

    select as_of_date, current_month_start from {{ ref('int_kpi__as_of') }}

),

first_day as (

    select min(created_date) as first_date from {{ ref('fct_deals') }}

),

months as (

    select generate_series(
        date_trunc('month', first_day.first_date),
        as_of.current_month_start,
        interval '1 month'
    )::date as period_start
    from first_day
    cross join as_of

),

periods as (

    select distinct
        kpi_period.period_grain,
        kpi_period.period_start
    from months
    {{ kpi_periods('months.period_start') }}

),

final as (

    select
        periods.period_grain,
        periods.period_start,
        (periods.period_start
            + case when periods.period_grain = 'month' then interval '1 month' else interval '3 months' end
            - interval '1 day')::date as period_end,
        least(
            (periods.period_start
                + case when periods.period_grain = 'month' then interval '1 month' else interval '3 months' end
            )::date,
            as_of.as_of_date
        ) as snapshot_end_date,
        (periods.period_start
            + case when periods.period_grain = 'month' then interval '1 month' else interval '3 months' end
        )::date <= as_of.as_of_date as is_complete
    from periods
    cross join as_of

)

select * from final
