with stages as (

    select
        stage_id,
        stage_label,
        display_order,
        probability,
        is_closed,
        is_won
    from {{ ref('stg_hubspot__deal_stages') }}

)

select
    stage_id,
    stage_label,
    display_order,
    probability,
    is_closed,
    is_won
from stages
