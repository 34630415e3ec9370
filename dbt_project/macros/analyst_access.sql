{#- The read-only `analyst` role: it may read the marts (and the KPI catalogue seeds) and nothing in
    raw_*, staging, intermediate, snapshots or ops. Created NOLOGIN on first run; people log in as
    their own users made members of it (see README, "Access for analysts"). Set the var
    `analyst_role` to '' on a warehouse where dbt may not create roles. -#}
{% macro ensure_analyst_role() %}
  {% set role = var('analyst_role', 'analyst') %}
  {% if role %}
    do $$
    begin
      if not exists (select from pg_roles where rolname = '{{ role }}') then
        create role {{ role }} nologin;
      end if;
    end $$;
    create schema if not exists marts;
    create schema if not exists seeds;
    grant usage on schema marts, seeds to {{ role }};
  {% endif %}
{% endmacro %}
