{#- Snapshot clock as timestamptz. dbt-postgres uses `now()::timestamp without time zone`, which
    mismatches the timestamptz `updated_at` of the timestamp-strategy snapshot (dbt warns) and gives
    the check-strategy snapshot naive validity bounds; the warehouse keeps every timestamp as
    timestamptz (UTC). Root-project macros take precedence in dispatch. -#}
{% macro postgres__snapshot_get_time() -%}
    now()
{%- endmacro %}
