{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_deal_stage_transitions'}}}) }}

{#- Stage transitions are consistent: no visit exits before it is entered, and every open deal has
    exactly one current visit, in the deal's current stage. -#}
with transitions as (

    select
        deal_id,
        stage_id,
        entered_at,
        exited_at,
        is_current
    from {{ ref('fct_deal_stage_transitions') }}

),

backwards as (

    select
        deal_id,
        'exited before entered' as problem
    from transitions
    where exited_at < entered_at

),

current_visits as (

    select
        deals.deal_id,
        deals.stage_id as deal_stage_id,
        count(transitions.deal_id) as current_visits,
        min(transitions.stage_id) as visit_stage_id
    from {{ ref('fct_deals') }} as deals
    left join transitions
        on deals.deal_id = transitions.deal_id
        and transitions.is_current
    where deals.is_open
    group by deals.deal_id, deals.stage_id

),

bad_current as (

    select
        deal_id,
        case
            when current_visits <> 1 then 'open deal with ' || current_visits || ' current visits'
            else 'current visit stage differs from the deal stage'
        end as problem
    from current_visits
    where current_visits <> 1
       or visit_stage_id <> deal_stage_id

)

select deal_id, problem from backwards
union all
select deal_id, problem from bad_current
