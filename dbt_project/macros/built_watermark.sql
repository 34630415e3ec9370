{#- The latest `column` already built into this incremental model: rows of an input changed after it
    are new to the model. -infinity while the model is empty, so a first run after an empty build
    takes everything. -#}
{% macro built_watermark(column) -%}
    (select coalesce(max({{ column }}), '-infinity') from {{ this }})
{%- endmacro %}
