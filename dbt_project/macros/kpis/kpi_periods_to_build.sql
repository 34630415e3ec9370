{#- The periods an incremental KPI model (re)computes in this run, with the fingerprint of their input
    rows. `inputs` is the model's CTE of input rows (one row per fact, every column the KPIs read) and
    `date_expr` the date placing a row in its month and fiscal quarter; a fact that counts in every
    period it spans (an open deal) gives instead `spans_period`, a join condition between the input
    row and `kpi_period` (a row of int_kpi__periods).

    A period's fingerprint is the sum of a 64-bit hash of each of its input rows, plus the hash of the
    period's own bounds (the current period's snapshot end moves with as_of_date()). A full build
    computes every period of int_kpi__periods; an incremental run only the periods whose fingerprint
    differs from the one stored with the period's company row (a new period, a period whose facts
    changed, moved in or out, or were deleted), so late changes to old periods are picked up too
    (a converting lead in its cohort month, a corrected close date). Models using it are incremental
    with delete+insert on (period_grain, period_start): a recomputed period is replaced whole, rows
    of entities that left it included. -#}
{% macro kpi_periods_to_build(inputs, date_expr=none, spans_period=none) -%}
    select
        all_periods.period_grain,
        all_periods.period_start,
        coalesce(fingerprints.input_fingerprint, 0) + hashtextextended(all_periods::text, 0) as input_fingerprint
    from {{ ref('int_kpi__periods') }} as all_periods
    left join (
        select
            kpi_period.period_grain,
            kpi_period.period_start,
            sum({{ inputs }}.input_row_hash) as input_fingerprint
        from (
            -- each input row hashed once, not once per period it counts in (offset 0 keeps the
            -- planner from inlining the hash into the join)
            select {{ inputs }}.*, hashtextextended({{ inputs }}::text, 0) as input_row_hash
            from {{ inputs }}
            offset 0
        ) as {{ inputs }}
        {% if spans_period -%}
        inner join {{ ref('int_kpi__periods') }} as kpi_period on {{ spans_period }}
        {%- else -%}
        {{ kpi_periods(date_expr) }}
        {%- endif %}
        group by kpi_period.period_grain, kpi_period.period_start
    ) as fingerprints
        on all_periods.period_grain = fingerprints.period_grain
        and all_periods.period_start = fingerprints.period_start
    {#- A table built before the fingerprint column existed is recomputed whole, once. #}
    {% if is_incremental_with('input_fingerprint') %}
    where not exists (
        select 1 from {{ this }} as built
        where built.grain = 'company'
            and built.period_grain = all_periods.period_grain
            and built.period_start = all_periods.period_start
            and built.input_fingerprint
                = coalesce(fingerprints.input_fingerprint, 0) + hashtextextended(all_periods::text, 0)
    )
    {% endif %}
{%- endmacro %}


{#- The config of a KPI model built with kpi_periods_to_build. Its statements run without nested-loop
    joins (`set local`: this model's transaction only). The planner cannot see how many rows the grain
    and period fan-outs (lateral VALUES) produce and estimates the aggregates at a handful of rows, so
    it joins thousands of keys to thousands of aggregated rows pairwise (10 s instead of 0.6 s for 16
    periods at scale 10); hash joins suit these set-at-a-time aggregations, and the lateral fan-outs
    themselves still run as the nested loops they must be. -#}
{% macro kpi_period_incremental_config() -%}
    {{ config(
        pre_hook="set local enable_nestloop = off",
        materialized='incremental',
        unique_key=['period_grain', 'period_start'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['period_grain', 'period_start', 'grain']}]
    ) }}
{%- endmacro %}


{#- The model's final rows with the fingerprint of their period's inputs. -#}
{% macro kpi_rows_with_fingerprint(rows='final', periods='periods') -%}
    select
        {{ rows }}.*,
        {{ periods }}.input_fingerprint
    from {{ rows }}
    inner join {{ periods }}
        on {{ rows }}.period_grain = {{ periods }}.period_grain
        and {{ rows }}.period_start = {{ periods }}.period_start
{%- endmacro %}
