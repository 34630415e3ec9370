{#- KPIs whose formula combines several aggregations: pipeline coverage, pipeline velocity, CAC,
    marketing ROI, growth rates (year over year and period over period), bookings per rep. -#}
with deal_periods as (

    select * from {{ ref('int_kpi__deal_periods') }}

),

created_periods as (

    select * from {{ ref('int_kpi__pipeline_created_periods') }}

),

pipeline_periods as (

    select * from {{ ref('int_kpi__pipeline_periods') }}

),

quota_periods as (

    select * from {{ ref('int_kpi__quota_periods') }}

),

marketing_periods as (

    select * from {{ ref('int_kpi__marketing_periods') }}

),

lead_periods as (

    select * from {{ ref('int_kpi__lead_periods') }}

),

keys as (

    select grain, entity_id, period_grain, period_start from deal_periods
    union
    select grain, entity_id, period_grain, period_start from created_periods
    union
    select grain, entity_id, period_grain, period_start from pipeline_periods
    union
    select grain, entity_id, period_grain, period_start from quota_periods
    union
    select grain, entity_id, period_grain, period_start from marketing_periods
    union
    select grain, entity_id, period_grain, period_start from lead_periods

),

joined as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        deal_periods.bookings,
        previous_year_deals.bookings as bookings_previous_year,
        previous_period_deals.bookings as bookings_previous_period,
        deal_periods.win_rate_count,
        deal_periods.average_deal_size,
        deal_periods.avg_sales_cycle_days,
        deal_periods.marketing_new_customers,
        deal_periods.marketing_sourced_bookings,
        created_periods.pipeline_created,
        previous_year_created.pipeline_created as pipeline_created_previous_year,
        created_periods.marketing_sourced_deals_created,
        pipeline_periods.open_deals_start,
        pipeline_periods.open_pipeline_start,
        quota_periods.quota_amount,
        quota_periods.reps_with_quota,
        marketing_periods.marketing_spend,
        lead_periods.leads,
        previous_year_leads.leads as leads_previous_year,
        previous_period_leads.leads as leads_previous_period
    from keys
    left join deal_periods
        on {{ kpi_key_matches('keys', 'deal_periods') }}
    left join deal_periods as previous_year_deals
        on keys.grain = previous_year_deals.grain
        and keys.entity_id = previous_year_deals.entity_id
        and keys.period_grain = previous_year_deals.period_grain
        and (keys.period_start - interval '1 year')::date = previous_year_deals.period_start
    left join deal_periods as previous_period_deals
        on keys.grain = previous_period_deals.grain
        and keys.entity_id = previous_period_deals.entity_id
        and keys.period_grain = previous_period_deals.period_grain
        and (keys.period_start
            - case when keys.period_grain = 'month' then interval '1 month' else interval '3 months' end
        )::date = previous_period_deals.period_start
    left join created_periods
        on {{ kpi_key_matches('keys', 'created_periods') }}
    left join created_periods as previous_year_created
        on keys.grain = previous_year_created.grain
        and keys.entity_id = previous_year_created.entity_id
        and keys.period_grain = previous_year_created.period_grain
        and (keys.period_start - interval '1 year')::date = previous_year_created.period_start
    left join pipeline_periods
        on {{ kpi_key_matches('keys', 'pipeline_periods') }}
    left join quota_periods
        on {{ kpi_key_matches('keys', 'quota_periods') }}
    left join marketing_periods
        on {{ kpi_key_matches('keys', 'marketing_periods') }}
    left join lead_periods
        on {{ kpi_key_matches('keys', 'lead_periods') }}
    left join lead_periods as previous_year_leads
        on keys.grain = previous_year_leads.grain
        and keys.entity_id = previous_year_leads.entity_id
        and keys.period_grain = previous_year_leads.period_grain
        and (keys.period_start - interval '1 year')::date = previous_year_leads.period_start
    left join lead_periods as previous_period_leads
        on keys.grain = previous_period_leads.grain
        and keys.entity_id = previous_period_leads.entity_id
        and keys.period_grain = previous_period_leads.period_grain
        and (keys.period_start
            - case when keys.period_grain = 'month' then interval '1 month' else interval '3 months' end
        )::date = previous_period_leads.period_start

),

final as (

    select
        grain,
        entity_id,
        period_grain,
        period_start,
        {{ safe_divide('open_pipeline_start', 'quota_amount') }} as pipeline_coverage,
        {{ safe_divide('open_deals_start * win_rate_count * average_deal_size', 'avg_sales_cycle_days') }}
            as pipeline_velocity,
        {{ safe_divide('marketing_spend', 'marketing_new_customers') }} as customer_acquisition_cost,
        {{ safe_divide('marketing_sourced_bookings - marketing_spend', 'marketing_spend') }} as marketing_roi,
        {{ safe_divide('marketing_spend', 'marketing_sourced_deals_created') }} as cost_per_opportunity,
        {{ safe_divide('bookings', 'bookings_previous_year') }} - 1 as bookings_growth_yoy,
        {{ safe_divide('bookings', 'bookings_previous_period') }} - 1 as bookings_growth_pop,
        {{ safe_divide('pipeline_created', 'pipeline_created_previous_year') }} - 1 as pipeline_created_growth_yoy,
        {{ safe_divide('leads', 'leads_previous_year') }} - 1 as leads_growth_yoy,
        {{ safe_divide('leads', 'leads_previous_period') }} - 1 as lead_velocity_rate,
        {{ safe_divide('bookings', 'reps_with_quota') }} as bookings_per_rep
    from joined

)

select * from final
