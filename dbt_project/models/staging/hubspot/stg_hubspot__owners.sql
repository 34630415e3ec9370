with source as (

    {{ latest_versions(source('hubspot', 'owners'), 'id', 'updated_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as owner_id,
        {{ stg_text('user_id') }} as user_id,
        lower({{ stg_text('email') }}) as email,
        {{ stg_text('first_name') }} as first_name,
        {{ stg_text('last_name') }} as last_name,
        -- the owner's primary team (the loader keeps the primary team of HubSpot's teams list)
        {{ stg_text('team_id') }} as team_id,
        {{ stg_text('team_name') }} as team_name,
        {{ stg_timestamp('created_at') }} as created_at,
        {{ stg_timestamp('updated_at') }} as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    owner_id,
    user_id,
    email,
    first_name,
    last_name,
    nullif(concat_ws(' ', first_name, last_name), '') as full_name,
    team_id,
    team_name,
    created_at,
    updated_at,
    is_archived
from renamed
