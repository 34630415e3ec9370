{{ kpi_period_incremental_config() }}

{#- Deals aggregated by grain x period of their creation date: pipeline created and the share of
    it sourced by marketing. Company grain filled for every period. -#}
with deals as (

    select * from {{ ref('fct_deals') }}

),

campaigns as (

    select campaign_id, channel from {{ ref('dim_campaign') }}

),


created_deals as (

    select
        deals.deal_id,
        deals.rep_id,
        deals.team_id,
        deals.region,
        deals.territory_id,
        deals.campaign_id,
        campaigns.channel,
        deals.created_date,
        deals.is_marketing_sourced,
        deals.amount
    from deals
    left join campaigns on deals.campaign_id = campaigns.campaign_id
    where deals.created_date is not null

),

periods as (

    {{ kpi_periods_to_build('created_deals', 'created_deals.created_date') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        created_deals.*
    from created_deals
    {{ kpi_periods('created_deals.created_date') }}
    {{ kpi_grains({'region': 'created_deals.region', 'team': 'created_deals.team_id',
                   'rep': 'created_deals.rep_id', 'territory': 'created_deals.territory_id',
                   'channel': 'created_deals.channel', 'campaign': 'created_deals.campaign_id'}) }}
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
        count(*) as deals_created,
        coalesce(sum(amount), 0) as pipeline_created,
        count(*) filter (where is_marketing_sourced) as marketing_sourced_deals_created,
        coalesce(sum(amount) filter (where is_marketing_sourced), 0) as marketing_sourced_pipeline
    from fanned
    group by grain, entity_id, period_grain, period_start

),

keys as (

    {{ kpi_company_keys() }}

),

final as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        coalesce(aggregated.deals_created, 0) as deals_created,
        coalesce(aggregated.pipeline_created, 0) as pipeline_created,
        coalesce(aggregated.marketing_sourced_deals_created, 0) as marketing_sourced_deals_created,
        coalesce(aggregated.marketing_sourced_pipeline, 0) as marketing_sourced_pipeline,
        {{ safe_divide('aggregated.marketing_sourced_pipeline', 'aggregated.pipeline_created') }}
            as marketing_sourced_pipeline_share,
        {{ safe_divide('aggregated.pipeline_created', 'aggregated.deals_created') }} as average_created_deal_size
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

)

{{ kpi_rows_with_fingerprint() }}
