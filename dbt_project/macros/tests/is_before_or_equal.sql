{#- Model-level: fails on rows where `earlier_column` is later than `later_column` (a null on either side passes). -#}
{% test is_before_or_equal(model, earlier_column, later_column) %}
select {{ earlier_column }}, {{ later_column }}
from {{ model }}
where {{ earlier_column }} > {{ later_column }}
{% endtest %}
