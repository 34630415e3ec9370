{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['activity_id'], 'unique': true}, {'columns': ['updated_at']}]
    )
}}

{#- Calls, emails and meetings as one activity stream (activity_id = type prefix + HubSpot id), with
    the deal each engagement is associated with (stg_hubspot__deal_associations, object_type
    call/email/meeting) and that deal's first company and contact.
    Incremental: a run merges the engagements modified since the latest updated_at already loaded;
    the filter reaches each staging view's raw table scan, and the deal associations are read for
    those engagements only, so a daily run reads one day of changes.
    The staging reads are `materialized` CTEs: the planner badly underestimates the deduplicated
    staging views and otherwise picks nested loops that re-read them per row. -#}
with calls as (

    select
        'call-' || call_id as activity_id,
        'call' as activity_type,
        call_id as source_id,
        occurred_at,
        owner_id,
        team_id,
        duration_seconds,
        direction,
        coalesce(disposition, status) as outcome,
        updated_at
    from {{ ref('stg_hubspot__calls') }}

),

emails as (

    select
        'email-' || email_id as activity_id,
        'email' as activity_type,
        email_id as source_id,
        occurred_at,
        owner_id,
        team_id,
        cast(null as integer) as duration_seconds,
        direction,
        status as outcome,
        updated_at
    from {{ ref('stg_hubspot__emails') }}

),

meetings as (

    select
        'meeting-' || meeting_id as activity_id,
        'meeting' as activity_type,
        meeting_id as source_id,
        occurred_at,
        owner_id,
        team_id,
        duration_seconds,
        cast(null as text) as direction,
        outcome,
        updated_at
    from {{ ref('stg_hubspot__meetings') }}

),

unioned as (

    select * from calls
    union all
    select * from emails
    union all
    select * from meetings

),

changed as materialized (

    select * from unioned
    {% if is_incremental() %}
    where updated_at > (select max(updated_at) from {{ this }})
    {% endif %}

),

engagement_deals as materialized (

    select
        object_type as activity_type,
        object_id as source_id,
        min(deal_id) as deal_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type in ('call', 'email', 'meeting')
        and object_id in (select source_id from changed)
    group by object_type, object_id

),

deal_parties as materialized (

    select
        deal_id,
        min(case when object_type = 'company' then object_id end) as account_id,
        min(case when object_type = 'contact' then object_id end) as contact_id
    from {{ ref('stg_hubspot__deal_associations') }}
    where object_type in ('company', 'contact')
        and deal_id in (select deal_id from engagement_deals)
    group by deal_id

)

select
    unioned.activity_id,
    unioned.activity_type,
    unioned.source_id,
    unioned.occurred_at,
    {{ business_date('unioned.occurred_at') }} as activity_date,
    unioned.owner_id as rep_id,
    unioned.team_id,
    engagement_deals.deal_id,
    deal_parties.account_id,
    deal_parties.contact_id,
    unioned.duration_seconds,
    unioned.direction,
    unioned.outcome,
    unioned.updated_at
from changed as unioned
left join engagement_deals
    on unioned.activity_type = engagement_deals.activity_type
    and unioned.source_id = engagement_deals.source_id
left join deal_parties on engagement_deals.deal_id = deal_parties.deal_id
