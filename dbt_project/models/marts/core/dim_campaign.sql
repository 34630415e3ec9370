with campaigns as (

    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        status,
        budget_amount,
        spend_amount
    from {{ ref('stg_marketing__campaigns') }}

)

select
    campaign_id,
    campaign_name,
    channel,
    start_date,
    end_date,
    status,
    budget_amount,
    spend_amount
from campaigns
