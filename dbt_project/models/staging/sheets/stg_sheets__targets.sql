with source as (

    select * from {{ source('sheets', 'targets') }}

),

renamed as (

    select
        ({{ stg_text('period_start') }})::date as period_start,
        lower({{ stg_text('period_grain') }}) as period_grain,
        {{ stg_text('region') }} as region,
        {{ stg_money('target_amount') }} as target_amount,
        row_number() over (
            partition by period_start, lower(trim(period_grain)), trim(region)
            order by _dlt_load_id desc
        ) as version_rank
    from source

)

select
    period_start,
    period_grain,
    region,
    case period_grain
        when 'month' then (period_start + interval '1 month' - interval '1 day')::date
        when 'quarter' then (period_start + interval '3 months' - interval '1 day')::date
    end as period_end,
    target_amount
from renamed
where version_rank = 1
