{#- Sales territories (e.g. WEST-MH-2) from the current accounts: their region, account count, the
    rep owning most of their accounts and the states they cover. -#}
with companies as (

    select
        company_id,
        territory,
        region,
        state,
        owner_id
    from {{ ref('stg_hubspot__companies') }}
    where territory is not null

),

territory_owners as (

    select
        territory,
        owner_id,
        row_number() over (partition by territory order by count(*) desc, owner_id) as owner_rank
    from companies
    where owner_id is not null
    group by territory, owner_id

),

territory_regions as (

    select
        territory,
        region,
        row_number() over (partition by territory order by count(*) desc, region) as region_rank
    from companies
    where region is not null
    group by territory, region

),

territories as (

    select
        territory,
        count(*) as accounts,
        string_agg(distinct state, ', ' order by state) as states
    from companies
    group by territory

)

select
    territories.territory as territory_id,
    territory_regions.region,
    cast(territories.accounts as integer) as accounts,
    territory_owners.owner_id as owner_rep_id,
    territories.states
from territories
left join territory_regions
    on territories.territory = territory_regions.territory
    and territory_regions.region_rank = 1
left join territory_owners
    on territories.territory = territory_owners.territory
    and territory_owners.owner_rank = 1
