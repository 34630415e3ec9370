{#- Daily time spine for MetricFlow (dbt semantic layer), 2020-01-01 .. 2030-12-31 like dim_date. -#}
with days as (

    select day::date as date_day
    from generate_series('2020-01-01'::date, '2030-12-31'::date, interval '1 day') as day

)

select date_day from days
