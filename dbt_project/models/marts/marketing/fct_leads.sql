{{
    config(
        materialized='incremental',
        unique_key='sheet_row',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['sheet_row'], 'unique': true},
            {'columns': ['lead_date']},
            {'columns': ['campaign_id', 'lead_date']},
        ]
    )
}}

{#- One lead as captured in the Leads sheet, with its campaign (utm_campaign matched to the campaign
    name), channel, region (from the state), CRM contact and funnel outcome: MQL / SQL from the
    contact's lifecycle stage, opportunity (a deal exists) and customer (a won deal). 
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row.
    Incremental: a run rebuilds the rows whose int_leads__conversions row changed (it carries the
    sheet row's load time, so an edited sheet row changes it too), and every row when the campaign
    or state-to-region lookups changed; each row keeps the fingerprints it was built from. -#}
{%- set incremental = is_incremental_with('lookups_fingerprint') %}
with campaigns as materialized (

    select
        campaign_name,
        min(campaign_id) as campaign_id,
        min(channel) as channel
    from {{ ref('stg_marketing__campaigns') }}
    group by campaign_name

),

state_regions as materialized (

    -- the region of a state, as the CRM assigns it to the accounts there
    select
        state,
        region,
        row_number() over (partition by state order by count(*) desc, region) as region_rank
    from {{ ref('stg_hubspot__companies') }}
    where state is not null
      and region is not null
    group by state, region

),

lookups as materialized (

    select
        {{ rows_fingerprint('campaigns') }} + {{ rows_fingerprint('state_regions') }} as lookups_fingerprint

),

conversions as materialized (

    select
        sheet_row,
        contact_id,
        lifecycle_stage,
        first_engagement_at,
        deals,
        won_deals,
        first_deal_id,
        first_deal_created_at,
        first_won_at,
        won_amount,
        hashtextextended(conversions::text, 0) as conversions_fingerprint
    from {{ ref('int_leads__conversions') }} as conversions
    {% if incremental %}
    where not exists (
        select 1 from {{ this }} as built
        where built.sheet_row = conversions.sheet_row
            and built.conversions_fingerprint = hashtextextended(conversions::text, 0)
            and built.lookups_fingerprint = (select lookups_fingerprint from lookups)
    )
    {% endif %}

),

leads as materialized (

    select
        sheet_row,
        lead_id,
        lead_created_at,
        lead_date,
        lead_source,
        utm_campaign,
        utm_medium,
        city,
        state,
        industry,
        company_size,
        language
    from {{ ref('stg_sheets__leads') }}
    where sheet_row in (select sheet_row from conversions)

),

source_channels (lead_source, channel) as (

    -- the channel of leads that carry no campaign, from their lead source
    values
        ('Website', 'organic'),
        ('Google Ads', 'paid_search'),
        ('Facebook', 'paid_social'),
        ('LinkedIn', 'paid_social'),
        ('Webinar', 'webinar'),
        ('Trade Show', 'events'),
        ('Partner', 'partner'),
        ('Referral', 'referral'),
        ('Cold Call', 'outbound'),
        ('Existing Customer', 'outbound')

)

select
    leads.sheet_row,
    leads.lead_id,
    leads.lead_created_at,
    leads.lead_date,
    cast(date_trunc('month', leads.lead_date) as date) as lead_month,
    coalesce(leads.lead_source, 'Unknown') as lead_source,
    campaigns.campaign_id,
    coalesce(campaigns.channel, source_channels.channel, 'other') as channel,
    leads.city,
    leads.state,
    state_regions.region,
    leads.industry,
    leads.company_size,
    leads.language,
    conversions.contact_id,
    conversions.first_engagement_at,
    case
        when conversions.first_engagement_at >= leads.lead_created_at
            then round(cast(extract(epoch from (conversions.first_engagement_at - leads.lead_created_at)) / 60.0 as numeric), 1)
    end as speed_to_lead_minutes,
    coalesce(conversions.lifecycle_stage in ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'), false)
        or coalesce(conversions.deals, 0) > 0 as is_mql,
    coalesce(conversions.lifecycle_stage in ('salesqualifiedlead', 'opportunity', 'customer'), false)
        or coalesce(conversions.deals, 0) > 0 as is_sql,
    coalesce(conversions.deals, 0) > 0 as is_opportunity,
    coalesce(conversions.won_deals, 0) > 0 as is_customer,
    conversions.first_deal_id,
    conversions.first_deal_created_at,
    conversions.first_won_at,
    cast(coalesce(conversions.won_amount, 0) as numeric(18, 2)) as won_amount,
    conversions.conversions_fingerprint,
    lookups.lookups_fingerprint
from leads
inner join conversions on leads.sheet_row = conversions.sheet_row
cross join lookups
left join campaigns on leads.utm_campaign = campaigns.campaign_name
left join state_regions
    on leads.state = state_regions.state
    and state_regions.region_rank = 1
left join source_channels on leads.lead_source = source_channels.lead_source
