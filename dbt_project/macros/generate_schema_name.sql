{#- Use the configured schema name as is (staging, marts, ...), without dbt's `<target>_` prefix:
    analysts and BI tools read stable schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
