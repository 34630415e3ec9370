with source as (

    select * from {{ source('sheets', 'callers') }}

),

renamed as (

    select
        {{ stg_text('name') }} as caller_name,
        {{ stg_text('role') }} as role,
        array(
            select trim(language_name)
            from jsonb_array_elements_text(
                case when jsonb_typeof(languages) = 'array' then languages else '[]'::jsonb end
            ) as language_name
            where trim(language_name) <> ''
        ) as languages,
        coalesce(daily_limit::int, 0) as daily_limit,
        array(
            select trim(state_name)
            from jsonb_array_elements_text(
                case when jsonb_typeof(states) = 'array' then states else '[]'::jsonb end
            ) as state_name
            where trim(state_name) <> ''
        ) as states,
        coalesce(lower({{ stg_text('status') }}), 'active') as status,
        row_number() over (partition by trim(name) order by _dlt_load_id desc) as version_rank
    from source

)

select
    caller_name,
    role,
    languages,
    daily_limit,
    states,
    status
from renamed
where version_rank = 1
  and caller_name is not null
