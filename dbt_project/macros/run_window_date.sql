{#- A bound of the run's business-date window, 'min' or 'max': the var min_date/max_date (dbt CLI
    `--vars`), else the environment variable SALESOPS_DBT_MIN_DATE/SALESOPS_DBT_MAX_DATE. Dagster sets
    the environment variables for each partition: new `--vars` make dbt re-parse the whole project,
    while a changed environment variable re-parses only the files reading it. None when unset. -#}
{% macro run_window_date(bound) -%}
    {%- do return(var(bound ~ '_date', none) or env_var('SALESOPS_DBT_' ~ bound | upper ~ '_DATE', '') or none) -%}
{%- endmacro %}
