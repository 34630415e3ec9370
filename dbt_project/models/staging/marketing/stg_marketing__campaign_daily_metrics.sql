with source as (

    select * from {{ source('marketing', 'campaign_daily_metrics') }}

),

renamed as (

    select
        {{ stg_text('campaign_id') }} as campaign_id,
        ({{ stg_text('"date"') }})::date as metric_date,
        lower({{ stg_text('channel') }}) as channel,
        {{ stg_money('spend') }} as spend,
        {{ stg_int('impressions') }} as impressions,
        {{ stg_int('clicks') }} as clicks,
        -- restated days are merged on the key; keep the latest load should a duplicate slip in
        row_number() over (
            partition by campaign_id, "date", channel
            order by _dlt_load_id desc
        ) as version_rank
    from source

)

select
    campaign_id,
    metric_date,
    channel,
    spend,
    impressions,
    clicks
from renamed
where version_rank = 1
