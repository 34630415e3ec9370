{#- Campaign spend and reach (fct_marketing_daily) by grain (company, channel, campaign) x period,
    with cost-efficiency formulas. Company grain filled for every period. -#}
with marketing as (

    select * from {{ ref('fct_marketing_daily') }}

),

periods as (

    select period_grain, period_start from {{ ref('int_kpi__periods') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        marketing.campaign_id,
        marketing.spend,
        marketing.impressions,
        marketing.clicks,
        marketing.leads
    from marketing
    {{ kpi_periods('marketing.metric_date') }}
    {{ kpi_grains({'channel': 'marketing.channel', 'campaign': 'marketing.campaign_id'}) }}
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
        coalesce(sum(spend), 0) as marketing_spend,
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks,
        coalesce(sum(leads), 0) as attributed_leads,
        count(distinct campaign_id) filter (where spend > 0) as active_campaigns
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
        coalesce(aggregated.marketing_spend, 0) as marketing_spend,
        coalesce(aggregated.impressions, 0) as impressions,
        coalesce(aggregated.clicks, 0) as clicks,
        coalesce(aggregated.attributed_leads, 0) as attributed_leads,
        coalesce(aggregated.active_campaigns, 0) as active_campaigns
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('clicks', 'impressions') }} as click_through_rate,
        {{ safe_divide('marketing_spend', 'clicks') }} as cost_per_click,
        {{ safe_divide('marketing_spend * 1000', 'impressions') }} as cost_per_mille,
        {{ safe_divide('marketing_spend', 'attributed_leads') }} as cost_per_lead
    from filled

)

select * from final
