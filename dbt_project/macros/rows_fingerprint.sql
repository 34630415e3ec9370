{#- Sum of a 64-bit hash of every row of `relation` (a CTE or table name): equal sums mean, in
    practice, equal contents. Incremental models store the fingerprint of the small lookups they
    joined and rebuild everything when it moves. 0 for no rows. -#}
{% macro rows_fingerprint(relation) -%}
    coalesce((select sum(hashtextextended({{ relation }}::text, 0)) from {{ relation }}), 0)
{%- endmacro %}
