{#- Every computed KPI of the catalogue, one row per KPI x grain x entity x period where it is
    defined (a ratio with a zero denominator has no row), and at company grain one row per KPI for
    every period, with a null value when undefined (no campaign spend, no bookings last year ...). Each formula lives in exactly one
    int_kpi__* model; this model only unpivots their columns. Keep the mapping in step with the
    `computed` rows of seeds/kpi_catalogue.csv (a test checks it).
    Incremental by KPI model and period, like its inputs: the fingerprint of a period of an
    int_kpi__* model is the sum of a 64-bit hash of its rows, and a run replaces (delete+insert on
    period and kpi_code) only the KPIs of the model periods whose fingerprint moved, so a daily run
    rewrites the KPIs that changed, not 3 million rows. Its not-null and accepted-value rules are
    table constraints (the model contract) and its key a unique index: PostgreSQL checks every row a
    run writes, where tests would re-read the whole table. -#}
{{ config(
    materialized='incremental',
    unique_key=['period_grain', 'period_start', 'kpi_code'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['period_grain', 'period_start', 'kpi_code', 'grain', 'entity_id'], 'unique': true}]
) }}
{%- set kpis = {
    'int_kpi__deal_periods': {
        'BOOKINGS': 'bookings',
        'WON_DEALS': 'won_deals',
        'LOST_DEALS': 'lost_deals',
        'CLOSED_DEALS': 'closed_deals',
        'WIN_RATE_COUNT': 'win_rate_count',
        'WIN_RATE_AMOUNT': 'win_rate_amount',
        'LOSS_RATE_COUNT': 'loss_rate_count',
        'AVERAGE_DEAL_SIZE': 'average_deal_size',
        'SALES_CYCLE_LENGTH': 'avg_sales_cycle_days',
        'LOST_DEAL_CYCLE_LENGTH': 'avg_lost_cycle_days',
        'LOST_AMOUNT': 'lost_amount',
        'GROSS_MARGIN': 'won_margin_amount',
        'GROSS_MARGIN_PCT': 'gross_margin_pct',
        'AVERAGE_DISCOUNT': 'avg_discount_pct',
        'UNITS_SOLD': 'units_sold',
        'AVERAGE_SELLING_PRICE': 'average_selling_price_per_unit',
        'NEW_CUSTOMERS': 'new_customers',
        'MARKETING_SOURCED_BOOKINGS': 'marketing_sourced_bookings',
        'MARKETING_SOURCED_BOOKINGS_SHARE': 'marketing_sourced_bookings_share',
        'COMPETITIVE_WIN_RATE': 'competitive_win_rate',
        'UNCONTESTED_WIN_RATE': 'uncontested_win_rate',
        'COMPETITOR_PRESENCE_RATE': 'competitor_presence_rate',
        'MEETINGS_PER_WON_DEAL': 'meetings_per_won_deal',
        'ACTIVITIES_PER_WON_DEAL': 'activities_per_won_deal',
        'LOSS_SHARE_PRICE': 'loss_share_price',
        'LOSS_SHARE_COMPETITOR': 'loss_share_competitor',
        'LOSS_SHARE_BUDGET': 'loss_share_budget',
        'LOSS_SHARE_TIMING': 'loss_share_timing',
        'LOSS_SHARE_NO_DECISION': 'loss_share_no_decision',
        'LOSS_SHARE_PRODUCT_FIT': 'loss_share_product_fit',
    },
    'int_kpi__pipeline_created_periods': {
        'DEALS_CREATED': 'deals_created',
        'PIPELINE_CREATED': 'pipeline_created',
        'MARKETING_SOURCED_PIPELINE': 'marketing_sourced_pipeline',
        'MARKETING_SOURCED_PIPELINE_SHARE': 'marketing_sourced_pipeline_share',
        'AVERAGE_CREATED_DEAL_SIZE': 'average_created_deal_size',
    },
    'int_kpi__pipeline_periods': {
        'OPEN_PIPELINE': 'open_pipeline',
        'OPEN_DEALS': 'open_deals',
        'WEIGHTED_PIPELINE': 'weighted_pipeline',
        'PIPELINE_WEIGHTED_SHARE': 'pipeline_weighted_share',
        'AVERAGE_OPEN_DEAL_AGE': 'average_open_deal_age_days',
    },
    'int_kpi__stage_periods': {
        'STAGE_CONVERSION_RATE': 'stage_conversion_rate',
        'TIME_IN_STAGE': 'average_days_in_stage',
        'STAGE_CONVERSION_APPOINTMENT': 'conversion_appointmentscheduled',
        'STAGE_CONVERSION_QUALIFIED': 'conversion_qualifiedtobuy',
        'STAGE_CONVERSION_PRESENTATION': 'conversion_presentationscheduled',
        'STAGE_CONVERSION_DECISION_MAKER': 'conversion_decisionmakerboughtin',
        'STAGE_CONVERSION_CONTRACT': 'conversion_contractsent',
        'TIME_IN_STAGE_APPOINTMENT': 'days_in_appointmentscheduled',
        'TIME_IN_STAGE_QUALIFIED': 'days_in_qualifiedtobuy',
        'TIME_IN_STAGE_PRESENTATION': 'days_in_presentationscheduled',
        'TIME_IN_STAGE_DECISION_MAKER': 'days_in_decisionmakerboughtin',
        'TIME_IN_STAGE_CONTRACT': 'days_in_contractsent',
    },
    'int_kpi__quota_periods': {
        'QUOTA': 'quota_amount',
        'QUOTA_ATTAINMENT': 'quota_attainment',
        'SHARE_OF_REPS_AT_QUOTA': 'share_of_reps_at_quota',
        'AVERAGE_REP_ATTAINMENT': 'average_rep_attainment',
        'QUOTA_GAP': 'quota_gap',
    },
    'int_kpi__lead_periods': {
        'LEADS': 'leads',
        'MQLS': 'mqls',
        'SQLS': 'sqls',
        'LEAD_TO_MQL_RATE': 'lead_to_mql_rate',
        'MQL_TO_SQL_RATE': 'mql_to_sql_rate',
        'LEAD_TO_OPPORTUNITY_RATE': 'lead_to_opportunity_rate',
        'LEAD_TO_WIN_RATE': 'lead_to_win_rate',
        'OPPORTUNITY_TO_WIN_RATE': 'opportunity_to_win_rate',
        'REVENUE_PER_LEAD': 'revenue_per_lead',
        'SPEED_TO_LEAD': 'speed_to_lead_minutes',
        'LEAD_CONTACT_RATE': 'lead_contact_rate',
        'LEAD_RESPONSE_WITHIN_1H_RATE': 'lead_response_within_1h_rate',
        'LEAD_TO_OPPORTUNITY_DAYS': 'average_days_to_opportunity',
    },
    'int_kpi__marketing_periods': {
        'MARKETING_SPEND': 'marketing_spend',
        'IMPRESSIONS': 'impressions',
        'CLICKS': 'clicks',
        'CLICK_THROUGH_RATE': 'click_through_rate',
        'COST_PER_CLICK': 'cost_per_click',
        'COST_PER_MILLE': 'cost_per_mille',
        'COST_PER_LEAD': 'cost_per_lead',
        'ACTIVE_CAMPAIGNS': 'active_campaigns',
    },
    'int_kpi__activity_periods': {
        'ACTIVITIES': 'activities',
        'CALLS': 'calls',
        'EMAILS': 'emails',
        'MEETINGS': 'meetings',
        'ACTIVE_REPS': 'active_reps',
        'ACTIVITIES_PER_REP': 'activities_per_rep',
        'CALLS_PER_REP': 'calls_per_rep',
        'EMAILS_PER_REP': 'emails_per_rep',
        'MEETINGS_PER_REP': 'meetings_per_rep',
        'CALL_CONNECT_RATE': 'call_connect_rate',
        'AVERAGE_CALL_DURATION': 'average_call_duration_minutes',
    },
    'int_kpi__combined_periods': {
        'PIPELINE_COVERAGE': 'pipeline_coverage',
        'PIPELINE_VELOCITY': 'pipeline_velocity',
        'CAC': 'customer_acquisition_cost',
        'MARKETING_ROI': 'marketing_roi',
        'COST_PER_OPPORTUNITY': 'cost_per_opportunity',
        'BOOKINGS_GROWTH_YOY': 'bookings_growth_yoy',
        'BOOKINGS_GROWTH_POP': 'bookings_growth_pop',
        'PIPELINE_CREATED_GROWTH_YOY': 'pipeline_created_growth_yoy',
        'LEADS_GROWTH_YOY': 'leads_growth_yoy',
        'LEAD_VELOCITY_RATE': 'lead_velocity_rate',
        'BOOKINGS_PER_REP': 'bookings_per_rep',
    },
} -%}

with input_rows as (
{% for model, columns in kpis.items() %}
    -- the model's first KPI code names the model and finds its stored fingerprint by the key index
    select
        '{{ columns | first }}' as model_kpi_code,
        source.period_grain,
        source.period_start,
        hashtextextended(source::text, 0) as row_hash
    from {{ ref(model) }} as source
    {{ 'union all' if not loop.last }}
{%- endfor %}

),

model_periods_to_build as (

    select model_kpi_code, period_grain, period_start, sum(row_hash) as input_fingerprint
    from input_rows
    group by model_kpi_code, period_grain, period_start
    {#- A table built before the fingerprint column existed is recomputed whole, once. #}
    {% if is_incremental_with('input_fingerprint') %}
    having not exists (
        select 1 from {{ this }} as built
        where built.period_grain = input_rows.period_grain
            and built.period_start = input_rows.period_start
            and built.kpi_code = input_rows.model_kpi_code
            and built.input_fingerprint = sum(input_rows.row_hash)
    )
    {% endif %}

),
{% for model, columns in kpis.items() %}
{{ model | replace('int_kpi__', '') }} as (

    select
        kpi.kpi_code,
        source.grain,
        source.entity_id,
        source.period_grain,
        source.period_start,
        kpi.value,
        model_periods_to_build.input_fingerprint
    from {{ ref(model) }} as source
    inner join model_periods_to_build
        on model_periods_to_build.model_kpi_code = '{{ columns | first }}'
        and source.period_grain = model_periods_to_build.period_grain
        and source.period_start = model_periods_to_build.period_start
    cross join lateral (
        values
        {%- for kpi_code, column in columns.items() %}
            ('{{ kpi_code }}', (source.{{ column }})::numeric){{ ',' if not loop.last }}
        {%- endfor %}
    ) as kpi (kpi_code, value)
    -- company rows are kept even when undefined (null, e.g. a ratio over an empty month) so every
    -- computed KPI has a company row for every period; other grains only where defined
    where kpi.value is not null or source.grain = 'company'

),
{% endfor %}

unioned as (
{% for model in kpis %}
    select * from {{ model | replace('int_kpi__', '') }}
    {{ 'union all' if not loop.last }}
{%- endfor %}

),

final as (

    select
        kpi_code::text as kpi_code,
        grain::text as grain,
        entity_id::text as entity_id,
        period_grain::text as period_grain,
        period_start::date as period_start,
        value,
        input_fingerprint
    from unioned

)

select * from final
