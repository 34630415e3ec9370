with source as (

    {{ latest_versions(source('marketing', 'campaigns'), 'id', 'updated_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as campaign_id,
        {{ stg_text('hs_name') }} as campaign_name,
        lower({{ stg_text('channel') }}) as channel,
        ({{ stg_text('hs_start_date') }})::date as start_date,
        ({{ stg_text('hs_end_date') }})::date as end_date,
        lower({{ stg_text('hs_campaign_status') }}) as status,
        {{ stg_text('hs_audience') }} as audience,
        upper({{ stg_text('hs_currency_code') }}) as currency_code,
        {{ stg_money('hs_budget_items_sum_amount') }} as budget_amount,
        {{ stg_money('hs_spend_items_sum_amount') }} as spend_amount,
        {{ stg_timestamp('created_at') }} as created_at,
        {{ stg_timestamp('updated_at') }} as updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    campaign_id,
    campaign_name,
    channel,
    start_date,
    end_date,
    status,
    audience,
    currency_code,
    budget_amount,
    spend_amount,
    created_at,
    updated_at,
    is_archived
from renamed
