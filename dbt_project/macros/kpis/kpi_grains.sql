{#- Fan a row out to the KPI grains it belongs to. `grains` maps a grain name (region, team, rep,
    territory, channel, campaign) to the column holding the entity id; the company grain (entity_id
    'company') is always added. Rows whose entity id is null are dropped by the caller
    (`where kpi_grain.entity_id is not null`). Exposes grain and entity_id. -#}
{% macro kpi_grains(grains) -%}
    cross join lateral (
        values
            ('company', 'company'::text)
            {%- for grain, column in grains.items() %},
            ('{{ grain }}', ({{ column }})::text)
            {%- endfor %}
    ) as kpi_grain (grain, entity_id)
{%- endmacro %}
