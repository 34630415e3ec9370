{% macro get_where_subquery(relation) -%}
    {#- dbt's `where` test filter, plus the run's date window on large tables. A routine daily run
        (`min_date` set, as Dagster does for each partition) tests only the rows of models and sources
        with a `meta.test_window_column` whose column is on or after `min_date`: the rows that run can
        have changed. Builds without `min_date` (CI, `salesops dbt build`, full refreshes) test every row. -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window_column = test_window_column(relation) -%}
    {%- if window_column and run_window_date('min') -%}
        {%- do conditions.append(window_column ~ " >= '" ~ run_window_date('min') ~ "'::date") -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro test_window_column(relation) -%}
    {#- The `meta.test_window_column` of the model or source the test reads as `relation`, found among
        the test's dependencies (a relationships test also depends on its parent, which stays whole). -#}
    {%- set depends_on = model.get('depends_on', {}).get('nodes', []) if model is mapping else [] -%}
    {%- for unique_id in depends_on -%}
        {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
        {%- if node and node.relation_name
                and node.relation_name.replace('"', '') == (relation | string).replace('"', '') -%}
            {%- do return(node.config.meta.get('test_window_column') or node.meta.get('test_window_column')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}
