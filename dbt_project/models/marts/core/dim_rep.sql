{#- Sales reps (HubSpot owners) as a type-2 slowly changing dimension from the snapshot
    snap_hubspot__owners (check strategy on team and email). The first version of each rep starts at
    the owner's created_at: history before the first snapshot is unknown, so the first version
    carries the team seen at the first snapshot back to the rep's start. Region comes from the team
    (dim_team). Territory is the most frequent territory of the accounts the rep owns today. -#}
with snapshot as (

    select
        owner_id,
        full_name,
        email,
        team_id,
        team_name,
        created_at,
        dbt_valid_from,
        dbt_valid_to,
        row_number() over (partition by owner_id order by dbt_valid_from) as version_number
    from {{ ref('snap_hubspot__owners') }}

),

teams as (

    select
        team_id,
        region
    from {{ ref('dim_team') }}

),

rep_territories as (

    select
        owner_id,
        territory,
        row_number() over (partition by owner_id order by count(*) desc, territory) as territory_rank
    from {{ ref('stg_hubspot__companies') }}
    where owner_id is not null
      and territory is not null
    group by owner_id, territory

),

versions as (

    select
        owner_id,
        full_name,
        email,
        team_id,
        team_name,
        case
            when version_number = 1 then least(coalesce(created_at, dbt_valid_from), dbt_valid_from)
            else dbt_valid_from
        end as valid_from,
        dbt_valid_to as valid_to
    from snapshot

)

select
    md5(versions.owner_id || '|' || extract(epoch from versions.valid_from)::text) as rep_version_key,
    versions.owner_id as rep_id,
    versions.full_name as rep_name,
    versions.email,
    versions.team_id,
    versions.team_name,
    teams.region,
    rep_territories.territory,
    versions.valid_from,
    versions.valid_to,
    versions.valid_to is null as is_current
from versions
left join teams on versions.team_id = teams.team_id
left join rep_territories
    on versions.owner_id = rep_territories.owner_id
    and rep_territories.territory_rank = 1
