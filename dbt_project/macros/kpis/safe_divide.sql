{#- Ratio that is null (not an error) when the denominator is zero or null, e.g. a win rate in a
    month without closed deals. Both sides are cast to numeric so integer counts divide exactly; trim_scale drops
    the trailing zeros of numeric division (0.5, not 0.50000000000000000000). -#}
{% macro safe_divide(numerator, denominator) -%}
    trim_scale(({{ numerator }})::numeric / nullif(({{ denominator }})::numeric, 0))
{%- endmacro %}
