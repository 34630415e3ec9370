{#- Deals with everything the deal fact needs from other entities: first associated company and
    contact, product (by SKU), stage probability, account territory and region, the rep's team, the
    lead (deal lead_id, else the contact's lead_id) and its campaign (utm_campaign = campaign name)
    (the team's region and the lead-source category are joined in fct_deals from the dimensions). 
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row. -#}
with deals as materialized (

    select
        deal_id,
        deal_name,
        amount,
        margin_amount,
        discount_pct,
        stage_id,
        pipeline_id,
        close_date,
        closed_at,
        created_at,
        is_closed,
        is_won,
        owner_id,
        team_id,
        deal_type,
        product_sku,
        quantity,
        competitor,
        loss_reason,
        lead_source,
        lead_id
    from {{ ref('stg_hubspot__deals') }}

),

associations as materialized (

    select
        deal_id,
        min(case when object_type = 'company' then object_id end) as company_id,
        min(case when object_type = 'contact' then object_id end) as contact_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type in ('company', 'contact')
    group by deal_id

),

companies as materialized (

    select
        company_id,
        territory,
        region
    from {{ ref('stg_hubspot__companies') }}

),

contacts as materialized (

    select
        contact_id,
        lead_id
    from {{ ref('stg_hubspot__contacts') }}

),

owners as materialized (

    select
        owner_id,
        team_id
    from {{ ref('stg_hubspot__owners') }}

),

products as materialized (

    select
        product_id,
        sku
    from {{ ref('stg_hubspot__products') }}

),

stages as materialized (

    select
        stage_id,
        probability
    from {{ ref('stg_hubspot__deal_stages') }}

),

leads as materialized (

    select
        lead_id,
        utm_campaign,
        row_number() over (partition by lead_id order by lead_created_at, sheet_row) as lead_rank
    from {{ ref('stg_sheets__leads') }}
    where lead_id is not null

),

campaigns as materialized (

    select
        campaign_name,
        min(campaign_id) as campaign_id
    from {{ ref('stg_marketing__campaigns') }}
    group by campaign_name

),

joined as (

    select
        deals.deal_id,
        deals.deal_name,
        associations.company_id as account_id,
        associations.contact_id,
        deals.owner_id as rep_id,
        coalesce(deals.team_id, owners.team_id) as team_id,
        companies.region as account_region,
        companies.territory as territory_id,
        products.product_id,
        deals.product_sku,
        coalesce(deals.lead_id, contacts.lead_id) as lead_id,
        coalesce(deals.lead_source, 'Unknown') as lead_source,
        campaigns.campaign_id,
        deals.deal_type,
        deals.stage_id,
        deals.pipeline_id,
        deals.created_at,
        {{ business_date('deals.created_at') }} as created_date,
        deals.close_date,
        deals.closed_at,
        coalesce(deals.is_closed, false) as is_closed,
        coalesce(deals.is_won, false) as is_won,
        deals.amount,
        deals.margin_amount,
        deals.discount_pct,
        deals.quantity,
        stages.probability as stage_probability,
        coalesce(nullif(trim(deals.competitor), ''), 'No competitor') as competitor_name,
        deals.loss_reason
    from deals
    left join associations on deals.deal_id = associations.deal_id
    left join companies on associations.company_id = companies.company_id
    left join contacts on associations.contact_id = contacts.contact_id
    left join owners on deals.owner_id = owners.owner_id
    left join products on deals.product_sku = products.sku
    left join stages on deals.stage_id = stages.stage_id
    left join leads
        on coalesce(deals.lead_id, contacts.lead_id) = leads.lead_id
        and leads.lead_rank = 1
    left join campaigns on leads.utm_campaign = campaigns.campaign_name

)

select * from joined
