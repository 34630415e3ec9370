{{
    config(
        materialized='incremental',
        unique_key='sheet_row',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['sheet_row'], 'unique': true}, {'columns': ['lead_id']}, {'columns': ['contact_id']}]
    )
}}

{#- Each sheet lead with its CRM contact (contacts.lead_id) and that lead's deals: the first deal
    created and the first deal won. A deal belongs to a lead when its own lead_id matches or when it
    is associated with the lead's contact.
    Incremental by lead: a run rebuilds the sheet rows loaded since the last build and every row of
    the leads whose contacts or deals were modified since; the contact and deals a row was built
    with (contact_id, deal_ids: a comma-separated list, since dbt cannot add an array column to an
    existing table) find the leads that lost one. Each input's watermark is the latest of
    its timestamps already built.
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row. -#}
{%- set incremental = is_incremental_with('deal_ids') %}
{%- if incremental %}
with changed_contacts as materialized (

    select contact_id, lead_id from {{ ref('stg_hubspot__contacts') }}
    where updated_at > {{ built_watermark('contact_updated_at') }}

),

changed_deals as materialized (

    -- deals modified since, and the deals of modified contacts (their links may have moved)
    select deal_id, lead_id from {{ ref('stg_hubspot__deals') }}
    where updated_at > {{ built_watermark('deals_updated_at') }}
    union
    select links.deal_id, cast(null as text)
    from {{ ref('stg_hubspot__deal_associations') }} as links
    where links.object_type = 'contact'
        and links.object_id in (select contact_id from changed_contacts)

),

changed_leads as materialized (

    select lead_id from changed_contacts
    union
    select lead_id from changed_deals
    union
    -- the contacts a modified deal is associated with now (associations belong to the deal)
    select contacts.lead_id
    from {{ ref('stg_hubspot__deal_associations') }} as links
    inner join {{ ref('stg_hubspot__contacts') }} as contacts
        on links.object_id = contacts.contact_id
    where links.object_type = 'contact'
        and links.deal_updated_at > {{ built_watermark('deals_updated_at') }}
    union
    -- the leads a modified contact or deal belonged to when last built
    select lead_id from {{ this }}
    where contact_id in (select contact_id from changed_contacts)
    union
    select built.lead_id
    from {{ this }} as built
    cross join unnest(string_to_array(built.deal_ids, ',')) as built_deal (deal_id)
    where built_deal.deal_id in (select deal_id from changed_deals)

),

leads as materialized (

    -- unions, not OR: an OR over a subquery is re-run for every row
    select
        sheet_row,
        lead_id,
        loaded_at
    from {{ ref('stg_sheets__leads') }}
    where loaded_at > {{ built_watermark('lead_loaded_at') }}
    union
    select
        sheet_row,
        lead_id,
        loaded_at
    from {{ ref('stg_sheets__leads') }}
    where lead_id in (select lead_id from changed_leads)

),
{%- else %}
with leads as materialized (

    select
        sheet_row,
        lead_id,
        loaded_at
    from {{ ref('stg_sheets__leads') }}

),
{%- endif %}

contacts as materialized (

    select
        contact_id,
        lead_id,
        lifecycle_stage,
        first_engagement_at,
        updated_at,
        row_number() over (partition by lead_id order by created_at, contact_id) as contact_rank
    from {{ ref('stg_hubspot__contacts') }}
    where lead_id in (select lead_id from leads)

),

contact_deals as materialized (

    select
        deal_id,
        object_id as contact_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type = 'contact'
        and object_id in (select contact_id from contacts)

),

deals as materialized (

    select
        deal_id,
        lead_id,
        created_at,
        closed_at,
        is_won,
        amount,
        updated_at
    from {{ ref('stg_hubspot__deals') }}
    where deal_id in (
        select deal_id from contact_deals
        union
        select deal_id from {{ ref('stg_hubspot__deals') }} where lead_id in (select lead_id from leads)
    )

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
        deals.updated_at,
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
        count(*) filter (where is_won) as won_deals,
        string_agg(deal_id, ',' order by deal_id) as deal_ids,
        max(updated_at) as deals_updated_at
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
    coalesce(lead_deal_summary.won_amount, 0)::numeric(18, 2) as won_amount,
    coalesce(lead_deal_summary.deal_ids, '') as deal_ids,
    leads.loaded_at as lead_loaded_at,
    contacts.updated_at as contact_updated_at,
    lead_deal_summary.deals_updated_at
from leads
left join contacts
    on leads.lead_id = contacts.lead_id
    and contacts.contact_rank = 1
left join lead_deal_summary on leads.lead_id = lead_deal_summary.lead_id
