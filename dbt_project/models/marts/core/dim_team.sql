{#- Sales teams: every team an owner has had as primary team (snap_hubspot__owners keeps the teams
    reps have left), with the latest name seen. Region and segment are parsed from the name:
    'West Enterprise' -> West / Enterprise, 'North Mid-Market' -> North / Mid-Market. -#}
with owner_teams as (

    select distinct on (team_id)
        team_id,
        team_name
    from {{ ref('snap_hubspot__owners') }}
    where team_id is not null
    order by team_id, dbt_valid_from desc

)

select
    team_id,
    team_name,
    split_part(team_name, ' ', 1) as region,
    substr(team_name, strpos(team_name, ' ') + 1) as segment
from owner_teams
