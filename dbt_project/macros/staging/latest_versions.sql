{#- The latest version of each `key` in a raw `relation`.

    dlt merges on the primary key, and ingestion declares it with a unique index
    (ingestion.pipelines.index_merge_keys): such a table holds one row per key, every row is the
    latest version, and the view reads the table as is, so filters and joins reach its scan and its
    indexes. Without that index (a table loaded by other means), the rows no other row of the same key
    supersedes: a later `version_column`, a non-null one over null, then a later `_dlt_load_id` and
    `_dlt_id`. An anti-join rather than `row_number() ... = 1`, so a filter on the result still
    reaches the table scan instead of waiting for a window function over every version of every key. -#}
{% macro latest_versions(relation, key, version_column) -%}
    {%- if has_unique_index(relation, key) -%}
    select * from {{ relation }}
    {%- else -%}
    select * from {{ relation }} as versions
    where not exists (
        select 1 from {{ relation }} as newer
        where newer.{{ key }} = versions.{{ key }}
            and (
                newer.{{ version_column }} > versions.{{ version_column }}
                or (newer.{{ version_column }} is not null and versions.{{ version_column }} is null)
                or (newer.{{ version_column }} is not distinct from versions.{{ version_column }}
                    and (newer._dlt_load_id, newer._dlt_id) > (versions._dlt_load_id, versions._dlt_id))
            )
    )
    {%- endif -%}
{%- endmacro %}


{#- True when `relation` has a unique index on exactly `column`. Asked at run time (false while
    parsing): the view is recreated by every run, so it follows the table's current indexes. -#}
{% macro has_unique_index(relation, column) -%}
    {%- if not execute -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set table = relation.include(database=false) if relation.include is defined else relation -%}
    {%- set found = run_query(
        "select exists (select 1 from pg_index join pg_attribute"
        ~ " on pg_attribute.attrelid = pg_index.indrelid and pg_attribute.attnum = pg_index.indkey[0]"
        ~ " where pg_index.indrelid = to_regclass('" ~ table ~ "') and pg_index.indisunique"
        ~ " and pg_index.indnkeyatts = 1 and pg_index.indpred is null"
        ~ " and pg_attribute.attname = '" ~ column ~ "')"
    ) -%}
    {%- do return(found.columns[0].values()[0]) -%}
{%- endmacro %}
