{#- The data's own "today": the day after the latest business date seen in deals, leads and
    activities. Models use it instead of current_date so a rebuild gives the same numbers. -#}
{% macro as_of_date() -%}
    (select greatest(
        (select {{ business_date("max(updated_at)") }} from {{ ref('stg_hubspot__deals') }}),
        (select max(lead_date) from {{ ref('stg_sheets__leads') }})
     ) + 1)
{%- endmacro %}
