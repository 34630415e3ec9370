{#- Casting helpers for staging models. dlt loads HubSpot properties as text (some as timestamptz
    once inferred); every helper goes through text first so it works on either, and turns empty or
    blank strings into null before casting. -#}

{% macro stg_text(column) -%}
    nullif(trim(({{ column }})::text), '')
{%- endmacro %}

{% macro stg_numeric(column, type='numeric') -%}
    ({{ stg_text(column) }})::{{ type }}
{%- endmacro %}

{% macro stg_money(column) -%}
    round(({{ stg_text(column) }})::numeric, 2)::numeric(18, 2)
{%- endmacro %}

{% macro stg_int(column, type='bigint') -%}
    round(({{ stg_text(column) }})::numeric)::{{ type }}
{%- endmacro %}

{% macro stg_timestamp(column) -%}
    ({{ stg_text(column) }})::timestamptz
{%- endmacro %}

{% macro stg_boolean(column) -%}
    case
        when lower({{ stg_text(column) }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ stg_text(column) }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}
