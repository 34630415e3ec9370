{#- Each sheet lead with its CRM contact (contacts.lead_id) and that lead's deals: the first deal
    created and the first deal won. A deal belongs to a lead when its own lead_id matches or when it
    is associated with the lead's contact. 
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row. -#}
with leads as materialized (

    select
        sheet_row,
        lead_id
    from {{ ref('stg_sheets__leads') }}

),

contacts as materialized (

    select
        contact_id,
        lead_id,
        lifecycle_stage,
        first_engagement_at,
        row_number() over (partition by lead_id order by created_at, contact_id) as contact_rank
    from {{ ref('stg_hubspot__contacts') }}
    where lead_id is not null

),

deals as materialized (

    select
        deal_id,
        lead_id,
        created_at,
        closed_at,
        is_won,
        amount
    from {{ ref('stg_hubspot__deals') }}

),

contact_deals as materialized (

    select
        deal_id,
        object_id as contact_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type = 'contact'

),

lead_deals as (

    -- deals linked through the contact, plus deals carrying the lead id themselves
    select
        contacts.lead_id,
        contact_deals.deal_id
    from contacts
    inner join contact_deals on contacts.contact_id = contact_deals.contact_id
    union
    select
        lead_id,
        deal_id
    from deals
    where lead_id is not null

),

lead_deal_facts as (

    select
        lead_deals.lead_id,
        deals.deal_id,
        deals.created_at,
        deals.closed_at,
        coalesce(deals.is_won, false) as is_won,
        deals.amount,
        row_number() over (
            partition by lead_deals.lead_id order by deals.created_at, deals.deal_id
        ) as deal_rank,
        case when coalesce(deals.is_won, false) then row_number() over (
            partition by lead_deals.lead_id, coalesce(deals.is_won, false)
            order by deals.closed_at, deals.deal_id
        ) end as won_rank
    from lead_deals
    inner join deals on lead_deals.deal_id = deals.deal_id

),

lead_deal_summary as materialized (

    select
        lead_id,
        count(*) as deals,
        min(case when deal_rank = 1 then deal_id end) as first_deal_id,
        min(created_at) as first_deal_created_at,
        min(case when won_rank = 1 then deal_id end) as first_won_deal_id,
        min(case when is_won then closed_at end) as first_won_at,
        sum(case when is_won then amount else 0 end) as won_amount,
        count(*) filter (where is_won) as won_deals
    from lead_deal_facts
    group by lead_id

)

select
    leads.sheet_row,
    leads.lead_id,
    contacts.contact_id,
    contacts.lifecycle_stage,
    contacts.first_engagement_at,
    coalesce(lead_deal_summary.deals, 0) as deals,
    coalesce(lead_deal_summary.won_deals, 0) as won_deals,
    lead_deal_summary.first_deal_id,
    lead_deal_summary.first_deal_created_at,
    lead_deal_summary.first_won_deal_id,
    lead_deal_summary.first_won_at,
    coalesce(lead_deal_summary.won_amount, 0)::numeric(18, 2) as won_amount
from leads
left join contacts
    on leads.lead_id = contacts.lead_id
    and contacts.contact_rank = 1
left join lead_deal_summary on leads.lead_id = lead_deal_summary.lead_id
