{{ kpi_period_incremental_config() }}

{#- Leads aggregated by grain x period of the lead date (a cohort view: conversions are counted for
    the leads created in the period, whenever they converted), with the funnel and response-time
    KPI formulas. Company grain filled for every period. -#}
with leads as (

    -- the columns the KPIs read: the period fingerprints change only when one of them does
    select
        sheet_row,
        lead_date,
        lead_created_at,
        region,
        channel,
        campaign_id,
        is_mql,
        is_sql,
        is_opportunity,
        is_customer,
        won_amount,
        speed_to_lead_minutes,
        first_deal_created_at
    from {{ ref('fct_leads') }}

),

periods as (

    {{ kpi_periods_to_build('leads', 'leads.lead_date') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        leads.sheet_row,
        leads.is_mql,
        leads.is_sql,
        leads.is_opportunity,
        leads.is_customer,
        leads.won_amount,
        leads.speed_to_lead_minutes,
        extract(epoch from leads.first_deal_created_at - leads.lead_created_at) / 86400.0
            as days_to_opportunity
    from leads
    {{ kpi_periods('leads.lead_date') }}
    {{ kpi_grains({'region': 'leads.region', 'channel': 'leads.channel', 'campaign': 'leads.campaign_id'}) }}
    inner join periods
        on kpi_period.period_grain = periods.period_grain
        and kpi_period.period_start = periods.period_start
    where kpi_grain.entity_id is not null

),

aggregated as (

    select
        grain,
        entity_id,
        period_grain,
        period_start,
        count(*) as leads,
        count(*) filter (where is_mql) as mqls,
        count(*) filter (where is_sql) as sqls,
        count(*) filter (where is_opportunity) as opportunities,
        count(*) filter (where is_customer) as customers,
        coalesce(sum(won_amount), 0) as won_amount,
        count(speed_to_lead_minutes) as contacted_leads,
        count(*) filter (where speed_to_lead_minutes <= 60) as leads_contacted_within_1h,
        percentile_cont(0.5) within group (order by speed_to_lead_minutes) as speed_to_lead_minutes,
        avg(days_to_opportunity) filter (where days_to_opportunity >= 0) as average_days_to_opportunity
    from fanned
    group by grain, entity_id, period_grain, period_start

),

keys as (

    {{ kpi_company_keys() }}

),

filled as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        coalesce(aggregated.leads, 0) as leads,
        coalesce(aggregated.mqls, 0) as mqls,
        coalesce(aggregated.sqls, 0) as sqls,
        coalesce(aggregated.opportunities, 0) as opportunities,
        coalesce(aggregated.customers, 0) as customers,
        coalesce(aggregated.won_amount, 0) as won_amount,
        coalesce(aggregated.contacted_leads, 0) as contacted_leads,
        coalesce(aggregated.leads_contacted_within_1h, 0) as leads_contacted_within_1h,
        trim_scale(aggregated.speed_to_lead_minutes::numeric) as speed_to_lead_minutes,
        trim_scale(aggregated.average_days_to_opportunity::numeric) as average_days_to_opportunity
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('mqls', 'leads') }} as lead_to_mql_rate,
        {{ safe_divide('sqls', 'mqls') }} as mql_to_sql_rate,
        {{ safe_divide('opportunities', 'leads') }} as lead_to_opportunity_rate,
        {{ safe_divide('customers', 'leads') }} as lead_to_win_rate,
        {{ safe_divide('customers', 'opportunities') }} as opportunity_to_win_rate,
        {{ safe_divide('won_amount', 'leads') }} as revenue_per_lead,
        {{ safe_divide('contacted_leads', 'leads') }} as lead_contact_rate,
        {{ safe_divide('leads_contacted_within_1h', 'contacted_leads') }} as lead_response_within_1h_rate
    from filled

)

{{ kpi_rows_with_fingerprint() }}
