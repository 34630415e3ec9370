{#- Lead sources seen on deals and sheet leads, categorised. The mapping is business policy kept here:
    inbound web and paid media and events are marketing-sourced; cold calls, existing-customer
    expansion, partners and referrals are not. Sources not in the mapping (and missing ones, as
    'Unknown') count as outbound and not marketing-sourced until classified. -#}
with mapping (lead_source, source_category, is_marketing_sourced) as (

    values
        ('Website', 'inbound', true),
        ('Google Ads', 'paid', true),
        ('Facebook', 'paid', true),
        ('LinkedIn', 'paid', true),
        ('Webinar', 'event', true),
        ('Trade Show', 'event', true),
        ('Cold Call', 'outbound', false),
        ('Existing Customer', 'outbound', false),
        ('Partner', 'partner', false),
        ('Referral', 'partner', false),
        ('Unknown', 'outbound', false)

),

observed as (

    select lead_source from {{ ref('int_deals__enriched') }}
    union
    select coalesce(lead_source, 'Unknown') as lead_source from {{ ref('stg_sheets__leads') }}
    union
    select lead_source from mapping

)

select
    observed.lead_source,
    coalesce(mapping.source_category, 'outbound') as source_category,
    coalesce(mapping.is_marketing_sourced, false) as is_marketing_sourced
from observed
left join mapping on observed.lead_source = mapping.lead_source
