with source as (

    {{ latest_versions(source('hubspot', 'deals'), 'id', 'updated_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as deal_id,
        {{ stg_text('dealname') }} as deal_name,
        {{ stg_money('amount') }} as amount,
        {{ stg_money('margin_amount') }} as margin_amount,
        -- HubSpot's discount_percentage is in percent points (12.5)
        round({{ stg_numeric('discount_percentage') }} / 100, 4) as discount_pct,
        {{ stg_text('dealstage') }} as stage_id,
        {{ stg_text('pipeline') }} as pipeline_id,
        {{ stg_timestamp('closedate') }} as close_date_at,
        coalesce({{ stg_timestamp('createdate') }}, {{ stg_timestamp('hs_createdate') }}, {{ stg_timestamp('created_at') }}) as created_at,
        coalesce({{ stg_boolean('hs_is_closed') }}, false) as is_closed,
        coalesce({{ stg_boolean('hs_is_closed_won') }}, false) as is_won,
        {{ stg_text('hubspot_owner_id') }} as owner_id,
        {{ stg_text('hubspot_team_id') }} as team_id,
        lower({{ stg_text('dealtype') }}) as deal_type,
        {{ stg_text('product_sku') }} as product_sku,
        {{ stg_int('quantity', 'int') }} as quantity,
        {{ stg_numeric('hs_deal_stage_probability') }} as stage_probability,
        {{ stg_text('competitor') }} as competitor,
        {{ stg_text('closed_lost_reason') }} as loss_reason,
        {{ stg_text('lead_source') }} as lead_source,
        {{ stg_text('lead_id') }} as lead_id,
        upper({{ stg_text('hs_analytics_source') }}) as analytics_source,
        updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    deal_id,
    deal_name,
    amount,
    margin_amount,
    discount_pct,
    stage_id,
    pipeline_id,
    -- closedate: the expected close while open, the actual close once closed
    {{ business_date('close_date_at') }} as close_date,
    case when is_closed then close_date_at end as closed_at,
    created_at,
    {{ business_date('created_at') }} as created_date,
    is_closed,
    is_won,
    owner_id,
    team_id,
    deal_type,
    product_sku,
    quantity,
    stage_probability,
    competitor,
    loss_reason,
    lead_source,
    lead_id,
    analytics_source,
    updated_at,
    is_archived
from renamed
