{#- Casting helpers for staging models. dlt loads HubSpot properties as text (some as timestamptz
    once inferred); every helper goes through text first so it works on either, and turns empty or
    blank strings into null before casting.
    Keys and cursors are the exception: record ids (dlt primary keys and association id lists, never
    null or padded) go through `stg_key`, and the timestamp cursors ingestion types on load
    (`ingestion.hubspot.cursor_column`) are read as they are. A filter or join on them then reaches the
    raw table's index (`ingestion.pipelines.index_raw_keys`), which the daily run relies on. -#}

{% macro stg_key(column) -%}
    ({{ column }})::text
{%- endmacro %}

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
