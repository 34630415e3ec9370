{#- The deal's association id lists (child tables of deals), one row per associated object.
    Joining the parent only resolves the deal id and its last modification (same raw object). The
    modification time is constant per deal, so it can sit in the dedupe partition: that lets a filter
    on deal_updated_at (daily-run tests) reach the scan instead of running after the whole dedupe. -#}
with deals as (

    select
        _dlt_id,
        id,
        coalesce({{ stg_timestamp('updated_at') }}, {{ stg_timestamp('hs_lastmodifieddate') }}) as updated_at
    from {{ source('hubspot', 'deals') }}

),

{%- set association_tables = [
    ('company', 'deals__companies_ids'),
    ('contact', 'deals__contacts_ids'),
    ('call', 'deals__calls_ids'),
    ('email', 'deals__emails_ids'),
    ('meeting', 'deals__meetings_ids'),
] %}

unioned as (

    {% for object_type, table in association_tables -%}
    select
        '{{ object_type }}'::text as object_type,
        links._dlt_parent_id,
        {{ stg_text('links.value') }} as object_id,
        links._dlt_list_idx as association_index
    from {{ source('hubspot', table) }} as links
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

renamed as (

    select
        {{ stg_text('deals.id') }} as deal_id,
        unioned.object_type,
        unioned.object_id,
        unioned.association_index,
        deals.updated_at as deal_updated_at,
        row_number() over (
            partition by deals.id, deals.updated_at, unioned.object_type, unioned.object_id
            order by unioned.association_index
        ) as duplicate_rank
    from unioned
    inner join deals on deals._dlt_id = unioned._dlt_parent_id
    where unioned.object_id is not null

)

select
    deal_id,
    object_type,
    object_id,
    association_index,
    deal_updated_at
from renamed
where duplicate_rank = 1
