{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_deals'}}}) }}

{#- Bookings reconcile with the source: the total won amount in fct_deals equals the sum of
    raw_crm.deals.amount over the deals HubSpot flags closed won, to the cent. Returns one row when
    they differ. -#}
with mart as (

    select coalesce(sum(amount), 0) as won_amount
    from {{ ref('fct_deals') }}
    where is_won

),

raw as (

    select coalesce(sum(cast(nullif(trim(amount), '') as numeric)), 0) as won_amount
    from {{ source('hubspot', 'deals') }}
    where hs_is_closed_won = 'true'

)

select
    mart.won_amount as mart_won_amount,
    raw.won_amount as raw_won_amount,
    mart.won_amount - round(raw.won_amount, 2) as difference
from mart
cross join raw
where round(mart.won_amount, 2) <> round(raw.won_amount, 2)
