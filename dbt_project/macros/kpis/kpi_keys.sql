{#- The rows a KPI aggregation model returns: every (grain, entity, period) it has data for, plus a
    company row for every period, so company-grain KPIs exist even for empty periods. -#}
{% macro kpi_company_keys(aggregated='aggregated', periods='periods') -%}
    select grain, entity_id, period_grain, period_start from {{ aggregated }}
    union
    select 'company', 'company', period_grain, period_start from {{ periods }}
{%- endmacro %}

{#- Join condition on the KPI key (grain, entity, period) between two relations. -#}
{% macro kpi_key_matches(left, right) -%}
    {{ left }}.grain = {{ right }}.grain
        and {{ left }}.entity_id = {{ right }}.entity_id
        and {{ left }}.period_grain = {{ right }}.period_grain
        and {{ left }}.period_start = {{ right }}.period_start
{%- endmacro %}
