{#- Whether the `ops` table exists yet. The product's own migrations create `ops` on first use (a
    territory plan applied, a lead routed), so models reading it build empty until then. Always false
    at parse time, when no query may run. -#}
{% macro ops_table_exists(identifier) -%}
    {%- do return(execute and adapter.get_relation(
        database=target.database, schema='ops', identifier=identifier) is not none) -%}
{%- endmacro %}
