{#- Generic test on kpi_values: every KPI code with values is a `computed` KPI of the catalogue
    (catches a KPI added to kpi_values but not to the catalogue, or marked needs_data). -#}
{% test kpi_codes_are_computed(model, catalogue) %}

select distinct values_.kpi_code
from {{ model }} as values_
left join {{ catalogue }} as catalogue
    on values_.kpi_code = catalogue.kpi_code
    and catalogue.status = 'computed'
where catalogue.kpi_code is null

{% endtest %}
