with source as (

    {{ latest_versions(source('hubspot', 'goal_targets'), 'id', 'updated_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as goal_target_id,
        {{ stg_text('hs_goal_name') }} as goal_name,
        {{ stg_text('hs_goal_type') }} as goal_type,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('hs_assignee_user_id') }} as user_id,
        {{ stg_text('hs_assignee_team_id') }} as team_id,
        {{ stg_timestamp('hs_start_datetime') }} as period_starts_at,
        {{ stg_timestamp('hs_end_datetime') }} as period_ends_at,
        {{ stg_money('hs_target_amount') }} as target_amount,
        {{ stg_timestamp('created_at') }} as created_at,
        updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    goal_target_id,
    goal_name,
    goal_type,
    owner_id,
    user_id,
    team_id,
    {{ business_date('period_starts_at') }} as period_start,
    -- hs_end_datetime is the exclusive end of the goal period (midnight starting the next period)
    {{ business_date('period_ends_at') }} - 1 as period_end,
    target_amount,
    created_at,
    updated_at,
    is_archived
from renamed
