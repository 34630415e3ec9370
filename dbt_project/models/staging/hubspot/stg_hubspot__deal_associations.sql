{#- The deal's association id lists (child tables of deals), one row per associated object.
    Joining the parent only resolves the deal id and its last modification (same raw object).
    Ingestion writes each list as a set (one id once, `ingestion.hubspot.flatten_object`), and the
    model's unique test guards that; so each list is read as it is, a plain scan that a filter or join
    on the object id turns into a lookup of the list's id index. -#}
with deals as (

    select
        _dlt_id,
        id,
        updated_at
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
        links._dlt_root_id as deal_row_id,  -- the parent deal's _dlt_id (indexed, as the merge key)
        {{ stg_key('links.value') }} as object_id,
        links._dlt_list_idx as association_index
    from {{ source('hubspot', table) }} as links
    where links.value is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    {{ stg_key('deals.id') }} as deal_id,
    unioned.object_type,
    unioned.object_id,
    unioned.association_index,
    deals.updated_at as deal_updated_at
from unioned
inner join deals on deals._dlt_id = unioned.deal_row_id
