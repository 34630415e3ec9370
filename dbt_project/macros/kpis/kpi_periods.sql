{#- Fan a row out to the KPI periods containing `date_expr`: its month and its fiscal quarter.
    The fiscal year runs April-March, so fiscal quarters start in Apr/Jul/Oct/Jan, which are the
    calendar quarter starts: date_trunc('quarter') gives the fiscal quarter start.
    Use after a FROM clause; exposes period_grain and period_start. -#}
{% macro kpi_periods(date_expr) -%}
    cross join lateral (
        values
            ('month', date_trunc('month', {{ date_expr }})::date),
            ('quarter', date_trunc('quarter', {{ date_expr }})::date)
    ) as kpi_period (period_grain, period_start)
{%- endmacro %}
