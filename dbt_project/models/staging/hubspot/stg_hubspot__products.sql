with source as (

    {{ latest_versions(source('hubspot', 'products'), 'id', 'updated_at') }}

),

renamed as (

    select
        {{ stg_key('id') }} as product_id,
        {{ stg_text('hs_sku') }} as sku,
        {{ stg_text('name') }} as product_name,
        {{ stg_text('product_family') }} as product_family,
        {{ stg_text('hs_product_type') }} as product_type,
        {{ stg_text('recurringbillingfrequency') }} as billing_frequency,
        {{ stg_text('description') }} as product_description,
        {{ stg_money('price') }} as unit_price,
        {{ stg_money('hs_cost_of_goods_sold') }} as unit_cost,
        {{ stg_timestamp('created_at') }} as created_at,
        updated_at,
        coalesce(archived, false) as is_archived
    from source

)

select
    product_id,
    sku,
    product_name,
    product_family,
    product_type,
    billing_frequency,
    product_description,
    unit_price,
    unit_cost,
    created_at,
    updated_at,
    is_archived
from renamed
