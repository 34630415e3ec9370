{#- Calendar 2020-01-01 .. 2030-12-31 with Indian fiscal periods: the fiscal year runs April-March and
    is named by the calendar year it ends in (FY2026 = 2025-04-01 .. 2026-03-31). -#}
with days as (

    select cast(day_ts as date) as date_day
    from generate_series(
        cast('2020-01-01' as timestamp),
        cast('2030-12-31' as timestamp),
        interval '1 day'
    ) as day_ts

),

fiscal as (

    select
        date_day,
        case
            when extract(month from date_day) >= 4 then cast(extract(year from date_day) as integer) + 1
            else cast(extract(year from date_day) as integer)
        end as fiscal_year,
        -- months since the fiscal year started in April: Apr = 0 .. Mar = 11
        cast(mod(cast(extract(month from date_day) as integer) + 8, 12) as integer) as fiscal_month_index
    from days

)

select
    fiscal.date_day,
    cast(date_trunc('month', fiscal.date_day) as date) as month_start,
    cast(date_trunc('quarter', fiscal.date_day) as date) as quarter_start,
    cast(extract(year from fiscal.date_day) as integer) as year,
    cast(extract(month from fiscal.date_day) as integer) as month_of_year,
    cast(extract(isodow from fiscal.date_day) as integer) as day_of_week,
    extract(isodow from fiscal.date_day) in (6, 7) as is_weekend,
    fiscal.fiscal_year,
    fiscal.fiscal_month_index / 3 + 1 as fiscal_quarter,
    'FY' || lpad(cast(mod(fiscal.fiscal_year, 100) as text), 2, '0')
        || ' Q' || cast(fiscal.fiscal_month_index / 3 + 1 as text) as fiscal_quarter_label,
    cast(
        make_date(fiscal.fiscal_year - 1, 4, 1) + make_interval(months => (fiscal.fiscal_month_index / 3) * 3)
        as date
    ) as fiscal_quarter_start,
    make_date(fiscal.fiscal_year - 1, 4, 1) as fiscal_year_start,
    extract(month from fiscal.date_day) in (3, 6, 9, 12) as is_quarter_end_month
from fiscal
