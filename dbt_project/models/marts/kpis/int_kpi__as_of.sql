{#- One row: the data's own "today" (as_of_date(), never the build date) and the KPI period bounds
    derived from it. -#}
with as_of as (

    select {{ as_of_date() }} as as_of_date

),

final as (

    select
        as_of_date,
        (date_trunc('month', as_of_date) - interval '1 month')::date as last_complete_month_start,
        date_trunc('month', as_of_date)::date as current_month_start
    from as_of

)

select * from final
