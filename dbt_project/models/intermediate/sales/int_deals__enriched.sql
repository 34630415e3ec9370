{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['deal_id'], 'unique': true}, {'columns': ['lead_id']}]
    )
}}

{#- Deals with everything the deal fact needs from other entities: first associated company and
    contact, product (by SKU), stage probability, account territory and region, the rep's team, the
    lead (deal lead_id, else the contact's lead_id) and its campaign (utm_campaign = campaign name)
    (the team's region and the lead-source category are joined in fct_deals from the dimensions).
    Incremental by deal: a run rebuilds the deals modified since the last build (associations are
    part of the deal object), the deals whose associated company or contact was modified, the deals
    of leads whose sheet rows arrived since, and every deal when the small lookups (owners, products,
    stages, campaigns) changed; each input's watermark is the latest of its timestamps already built.
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row. -#}
{%- set incremental = is_incremental_with('lookups_fingerprint') %}
with owners as materialized (

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

campaigns as materialized (

    select
        campaign_name,
        min(campaign_id) as campaign_id
    from {{ ref('stg_marketing__campaigns') }}
    group by campaign_name

),

lookups as materialized (

    -- one fingerprint of the small lookup tables: when it moves, every deal is rebuilt
    select
        {{ rows_fingerprint('owners') }}
        + {{ rows_fingerprint('products') }}
        + {{ rows_fingerprint('stages') }}
        + {{ rows_fingerprint('campaigns') }}
        as lookups_fingerprint

),

changed_deals as materialized (

    {% if incremental %}
    select deal_id from {{ ref('stg_hubspot__deals') }}
    where updated_at > {{ built_watermark('deal_updated_at') }}
    union
    -- the deals of modified accounts and contacts, in one read of the association lists
    select links.deal_id
    from {{ ref('stg_hubspot__deal_associations') }} as links
    inner join (
        select 'company' as object_type, company_id as object_id from {{ ref('stg_hubspot__companies') }}
        where updated_at > {{ built_watermark('company_updated_at') }}
        union all
        select 'contact', contact_id from {{ ref('stg_hubspot__contacts') }}
        where updated_at > {{ built_watermark('contact_updated_at') }}
    ) as modified
        on links.object_type = modified.object_type and links.object_id = modified.object_id
    where links.object_type in ('company', 'contact')  -- leaves the engagement lists out of the read
    union
    select built.deal_id
    from {{ this }} as built
    where built.lead_id in (
        select lead_id from {{ ref('stg_sheets__leads') }}
        where loaded_at > {{ built_watermark('lead_loaded_at') }}
    )
    union
    select built.deal_id
    from {{ this }} as built
    where built.lookups_fingerprint <> (select lookups_fingerprint from lookups)
    {% else %}
    select deal_id from {{ ref('stg_hubspot__deals') }}
    {% endif %}

),

deals as materialized (

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
        lead_id,
        updated_at
    from {{ ref('stg_hubspot__deals') }}
    where deal_id in (select deal_id from changed_deals)

),

associations as materialized (

    select
        deal_id,
        min(case when object_type = 'company' then object_id end) as company_id,
        min(case when object_type = 'contact' then object_id end) as contact_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type in ('company', 'contact')
        and deal_id in (select deal_id from changed_deals)
    group by deal_id

),

companies as materialized (

    select
        company_id,
        territory,
        region,
        updated_at
    from {{ ref('stg_hubspot__companies') }}
    where company_id in (select company_id from associations)

),

contacts as materialized (

    select
        contact_id,
        lead_id,
        updated_at
    from {{ ref('stg_hubspot__contacts') }}
    where contact_id in (select contact_id from associations)

),

leads as materialized (

    select
        lead_id,
        utm_campaign,
        loaded_at,
        row_number() over (partition by lead_id order by lead_created_at, sheet_row) as lead_rank
    from {{ ref('stg_sheets__leads') }}
    where lead_id in (
        select lead_id from deals
        union
        select lead_id from contacts
    )

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
        deals.loss_reason,
        deals.updated_at as deal_updated_at,
        companies.updated_at as company_updated_at,
        contacts.updated_at as contact_updated_at,
        leads.loaded_at as lead_loaded_at,
        lookups.lookups_fingerprint
    from deals
    cross join lookups
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
