{{
    config(
        indexes=[
            {'columns': ['deal_id'], 'unique': true},
            {'columns': ['rep_id']},
            {'columns': ['account_id']},
            {'columns': ['close_date']},
        ]
    )
}}

{#- One deal, current state, with its account, contact, rep, team, region, territory (via the
    account), product, lead and campaign, the CRM probability (stage probability while open, 1 won,
    0 lost) and its activity counts. -#}
with deals as (

    select
        deal_id,
        deal_name,
        account_id,
        contact_id,
        rep_id,
        team_id,
        account_region,
        territory_id,
        product_id,
        product_sku,
        lead_id,
        lead_source,
        campaign_id,
        deal_type,
        stage_id,
        created_date,
        close_date,
        closed_at,
        is_closed,
        is_won,
        amount,
        margin_amount,
        discount_pct,
        quantity,
        stage_probability,
        competitor_name,
        loss_reason
    from {{ ref('int_deals__enriched') }}

),

teams as (

    select
        team_id,
        region
    from {{ ref('dim_team') }}

),

lead_sources as (

    select
        lead_source,
        is_marketing_sourced
    from {{ ref('dim_lead_source') }}

),

activity_counts as (

    select
        deal_id,
        count(*) as activities,
        count(*) filter (where activity_type = 'call') as calls,
        count(*) filter (where activity_type = 'email') as emails,
        count(*) filter (where activity_type = 'meeting') as meetings
    from {{ ref('fct_activities') }}
    where deal_id is not null
    group by deal_id

),

final as (

    select
        deals.deal_id,
        deals.deal_name,
        deals.account_id,
        deals.contact_id,
        deals.rep_id,
        deals.team_id,
        coalesce(deals.account_region, teams.region) as region,
        deals.territory_id,
        deals.product_id,
        deals.product_sku,
        deals.lead_id,
        deals.lead_source,
        coalesce(lead_sources.is_marketing_sourced, false) as is_marketing_sourced,
        deals.campaign_id,
        deals.deal_type,
        deals.stage_id,
        deals.created_date,
        deals.close_date,
        deals.closed_at,
        deals.is_closed,
        deals.is_won,
        deals.is_closed and not deals.is_won as is_lost,
        not deals.is_closed as is_open,
        cast(deals.amount as numeric(18, 2)) as amount,
        cast(deals.margin_amount as numeric(18, 2)) as margin_amount,
        case
            when deals.amount > 0 then round(deals.margin_amount / deals.amount, 4)
        end as margin_pct,
        deals.discount_pct,
        deals.quantity,
        case
            when deals.is_won then 1.0
            when deals.is_closed then 0.0
            else deals.stage_probability
        end as crm_probability,
        deals.competitor_name,
        deals.loss_reason,
        coalesce(activity_counts.activities, 0) as activities,
        coalesce(activity_counts.calls, 0) as calls,
        coalesce(activity_counts.emails, 0) as emails,
        coalesce(activity_counts.meetings, 0) as meetings
    from deals
    left join teams on deals.team_id = teams.team_id
    left join lead_sources on deals.lead_source = lead_sources.lead_source
    left join activity_counts on deals.deal_id = activity_counts.deal_id

)

select
    deal_id,
    deal_name,
    account_id,
    contact_id,
    rep_id,
    team_id,
    region,
    territory_id,
    product_id,
    product_sku,
    lead_id,
    lead_source,
    is_marketing_sourced,
    campaign_id,
    deal_type,
    stage_id,
    created_date,
    close_date,
    closed_at,
    is_closed,
    is_won,
    is_lost,
    is_open,
    amount,
    margin_amount,
    margin_pct,
    discount_pct,
    quantity,
    cast(crm_probability as numeric(5, 4)) as crm_probability,
    cast(case when is_open then amount * crm_probability else 0 end as numeric(18, 2)) as weighted_amount,
    case when is_closed then close_date - created_date end as cycle_days,
    competitor_name,
    loss_reason,
    cast(activities as integer) as activities,
    cast(calls as integer) as calls,
    cast(emails as integer) as emails,
    cast(meetings as integer) as meetings
from final
