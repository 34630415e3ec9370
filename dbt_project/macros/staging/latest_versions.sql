{#- The latest version of each `key` in a raw `relation`: the rows no other row of the same key
    supersedes (a later `version_column`, a non-null one over null, then a later `_dlt_load_id` and
    `_dlt_id`). An anti-join rather than `row_number() ... = 1`: a filter on the result, such as a
    daily run's test window on updated_at, then reaches the table scan instead of waiting for a
    window function over every version of every key. -#}
{% macro latest_versions(relation, key, version_column) -%}
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
{%- endmacro %}
