{#- The deal's association id lists (child tables of deals), one row per associated object.
    Joining the parent only resolves the deal id and its last modification (same raw object). An id
    listed twice for one deal counts once (its first position). That dedupe is an anti-join on the
    same list rather than a window function, so a filter or a join on the deal or the object reaches
    the table scans instead of waiting for a dedupe of every list. -#}
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
    where {{ stg_text('links.value') }} is not null
        and not exists (
            select 1 from {{ source('hubspot', table) }} as earlier
            where earlier._dlt_parent_id = links._dlt_parent_id
                and {{ stg_text('earlier.value') }} = {{ stg_text('links.value') }}
                and earlier._dlt_list_idx < links._dlt_list_idx
        )
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    {{ stg_text('deals.id') }} as deal_id,
    unioned.object_type,
    unioned.object_id,
    unioned.association_index,
    deals.updated_at as deal_updated_at
from unioned
inner join deals on deals._dlt_id = unioned._dlt_parent_id
