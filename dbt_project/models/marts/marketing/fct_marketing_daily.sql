{{
    config(
        indexes=[
            {'columns': ['campaign_id', 'metric_date'], 'unique': true},
            {'columns': ['metric_date']},
        ]
    )
}}

{#- Campaign x day: spend, impressions and clicks from the daily campaign reports (channels summed),
    and the leads attributed to the campaign that day (fct_leads by campaign_id and lead_date). Days
    with leads but no report row appear with zero spend. -#}
with metrics as (

    select
        campaign_id,
        metric_date,
        min(channel) as reported_channel,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('stg_marketing__campaign_daily_metrics') }}
    group by campaign_id, metric_date

),

leads as (

    select
        campaign_id,
        lead_date,
        count(*) as leads
    from {{ ref('fct_leads') }}
    where campaign_id is not null
    group by campaign_id, lead_date

),

campaigns as (

    select
        campaign_id,
        channel
    from {{ ref('dim_campaign') }}

),

combined as (

    select
        coalesce(metrics.campaign_id, leads.campaign_id) as campaign_id,
        coalesce(metrics.metric_date, leads.lead_date) as metric_date,
        metrics.reported_channel,
        coalesce(metrics.spend, 0) as spend,
        coalesce(metrics.impressions, 0) as impressions,
        coalesce(metrics.clicks, 0) as clicks,
        coalesce(leads.leads, 0) as leads
    from metrics
    full outer join leads
        on metrics.campaign_id = leads.campaign_id
        and metrics.metric_date = leads.lead_date

)

select
    combined.campaign_id,
    combined.metric_date,
    coalesce(campaigns.channel, combined.reported_channel) as channel,
    cast(combined.spend as numeric(18, 2)) as spend,
    cast(combined.impressions as bigint) as impressions,
    cast(combined.clicks as bigint) as clicks,
    cast(case when combined.impressions > 0 then combined.clicks::numeric / combined.impressions end as numeric(10, 6))
        as ctr,
    cast(combined.leads as integer) as leads,
    cast(case when combined.leads > 0 then combined.spend / combined.leads end as numeric(18, 2)) as cost_per_lead
from combined
left join campaigns on combined.campaign_id = campaigns.campaign_id
