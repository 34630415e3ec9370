with products as (

    select
        product_id,
        sku,
        product_name,
        product_family,
        unit_price,
        unit_cost
    from {{ ref('stg_hubspot__products') }}

)

select
    product_id,
    sku,
    product_name,
    product_family,
    unit_price,
    unit_cost,
    case
        when unit_price > 0 then round((unit_price - coalesce(unit_cost, 0)) / unit_price, 4)
    end as margin_pct
from products
