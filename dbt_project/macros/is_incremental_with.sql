{#- is_incremental(), and the existing table already has `column` (the model's change watermark).
    A table built before the column existed is rebuilt whole once instead of failing on it. -#}
{% macro is_incremental_with(column) -%}
    {%- do return(is_incremental()
        and column in adapter.get_columns_in_relation(this) | map(attribute='name') | list) -%}
{%- endmacro %}
