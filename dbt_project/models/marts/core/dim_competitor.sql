{#- Competitors named on deals, with a 'No competitor' row for deals without one. -#}
with deals as (

    select
        coalesce(nullif(trim(competitor), ''), 'No competitor') as competitor_name,
        coalesce(is_won, false) as is_won
    from {{ ref('stg_hubspot__deals') }}

),

observed as (

    select
        competitor_name,
        count(*) as deals,
        count(*) filter (where is_won) as won_deals
    from deals
    group by competitor_name

),

with_default as (

    select competitor_name, deals, won_deals from observed
    union all
    select 'No competitor', 0, 0
    where not exists (select 1 from observed where competitor_name = 'No competitor')

)

select
    competitor_name,
    cast(deals as integer) as deals,
    cast(won_deals as integer) as won_deals
from with_default
