{#- Generic test on kpi_values: every `computed` KPI of the catalogue has a company-grain row for
    the last complete month (the month before as_of_date()'s month); with require_value, a non-null
    value too (a KPI can be undefined in a month, e.g. cost per click without campaigns, so that
    variant is a warning). Fails with one row per KPI missing. -#}
{% test kpi_computed_have_last_month_value(model, catalogue, as_of, require_value=false) %}

with computed as (

    select kpi_code from {{ catalogue }} where status = 'computed'

),

last_month as (

    select kpi_code
    from {{ model }}
    where grain = 'company'
        and entity_id = 'company'
        and period_grain = 'month'
        and period_start = (select last_complete_month_start from {{ as_of }})
        {% if require_value %}and value is not null{% endif %}

)

select computed.kpi_code
from computed
left join last_month on computed.kpi_code = last_month.kpi_code
where last_month.kpi_code is null

{% endtest %}
