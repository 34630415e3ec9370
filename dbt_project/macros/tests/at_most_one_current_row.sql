{#- SCD2 tables: fails on keys with more than one open version (`valid_to_column` null). -#}
{% test at_most_one_current_row(model, column_name, valid_to_column='dbt_valid_to') %}
select {{ column_name }}, count(*) as current_versions
from {{ model }}
where {{ valid_to_column }} is null
group by {{ column_name }}
having count(*) > 1
{% endtest %}
