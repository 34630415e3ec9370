{#- The Asia/Kolkata business date of a timestamptz expression. -#}
{% macro business_date(ts) -%}
    (({{ ts }}) at time zone '{{ var("business_timezone") }}')::date
{%- endmacro %}
