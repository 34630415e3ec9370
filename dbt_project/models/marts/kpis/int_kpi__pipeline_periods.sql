{{ kpi_period_incremental_config() }}

{#- Open pipeline at the start and at the end of each period, by grain. A deal is open at the start
    of day d when it was created before d and was not closed before d; its weight is the
    probability of the stage it was in at that moment (from the stage transitions). The end of a
    period is the start of the next one, or as_of_date() for the current period.
    Incremental by period (macro kpi_periods_to_build): a deal counts in the fingerprint of every
    period it may be open in, with its stage history, so a run recomputes only the periods some
    changed deal spans, plus the current one. -#}
with deals as (

    -- the columns used: read twice, so the planner materializes it, and a narrow row stays in memory
    select
        deal_id,
        rep_id,
        team_id,
        region,
        territory_id,
        campaign_id,
        created_date,
        close_date,
        is_closed,
        is_open,
        crm_probability,
        amount
    from {{ ref('fct_deals') }}

),

campaigns as (

    select campaign_id, channel from {{ ref('dim_campaign') }}

),

transitions as (

    select deal_id, stage_id, entered_at from {{ ref('fct_deal_stage_transitions') }}

),

stages as (

    select stage_id, probability from {{ ref('dim_deal_stage') }}

),

stage_histories as materialized (

    select
        transitions.deal_id,
        sum(hashtextextended((transitions.stage_id, transitions.entered_at, stages.probability)::text, 0))
            as stage_history_fingerprint
    from transitions
    left join stages on transitions.stage_id = stages.stage_id
    group by transitions.deal_id

),

pipeline_inputs as materialized (

    -- what a deal contributes to the snapshots it is open at
    select
        deals.deal_id,
        deals.rep_id,
        deals.team_id,
        deals.region,
        deals.territory_id,
        deals.campaign_id,
        campaigns.channel,
        deals.created_date,
        deals.close_date,
        deals.is_closed,
        deals.is_open,
        deals.crm_probability,
        deals.amount,
        stage_histories.stage_history_fingerprint
    from deals
    left join campaigns on deals.campaign_id = campaigns.campaign_id
    left join stage_histories on deals.deal_id = stage_histories.deal_id

),

periods_to_build as materialized (

    {{ kpi_periods_to_build('pipeline_inputs', spans_period=
        'pipeline_inputs.created_date < kpi_period.snapshot_end_date
        and (not pipeline_inputs.is_closed or pipeline_inputs.close_date >= kpi_period.period_start)') }}

),

periods as (

    select all_periods.period_grain, all_periods.period_start, all_periods.snapshot_end_date
    from {{ ref('int_kpi__periods') }} as all_periods
    inner join periods_to_build
        on all_periods.period_grain = periods_to_build.period_grain
        and all_periods.period_start = periods_to_build.period_start

),

snapshot_dates as (

    select period_start as snapshot_date from periods
    union
    select snapshot_end_date from periods

),

open_deals as (

    select
        snapshot_dates.snapshot_date,
        deals.deal_id,
        deals.rep_id,
        deals.team_id,
        deals.region,
        deals.territory_id,
        deals.campaign_id,
        deals.created_date,
        deals.is_open,
        deals.crm_probability,
        deals.amount
    from deals
    inner join snapshot_dates
        on deals.created_date < snapshot_dates.snapshot_date
        and (not deals.is_closed or deals.close_date >= snapshot_dates.snapshot_date)

),

stage_at_snapshot as (

    select distinct on (open_deals.deal_id, open_deals.snapshot_date)
        open_deals.deal_id,
        open_deals.snapshot_date,
        stages.probability
    from open_deals
    inner join transitions
        on open_deals.deal_id = transitions.deal_id
        and {{ business_date('transitions.entered_at') }} < open_deals.snapshot_date
    inner join stages on transitions.stage_id = stages.stage_id
    order by open_deals.deal_id, open_deals.snapshot_date, transitions.entered_at desc

),

open_deal_snapshots as (

    select
        open_deals.*,
        campaigns.channel,
        coalesce(
            stage_at_snapshot.probability,
            case when open_deals.is_open then open_deals.crm_probability end,
            0
        ) as probability,
        open_deals.snapshot_date - open_deals.created_date as days_open
    from open_deals
    left join stage_at_snapshot
        on open_deals.deal_id = stage_at_snapshot.deal_id
        and open_deals.snapshot_date = stage_at_snapshot.snapshot_date
    left join campaigns on open_deals.campaign_id = campaigns.campaign_id

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        open_deal_snapshots.*
    from open_deal_snapshots
    {{ kpi_grains({'region': 'open_deal_snapshots.region', 'team': 'open_deal_snapshots.team_id',
                   'rep': 'open_deal_snapshots.rep_id', 'territory': 'open_deal_snapshots.territory_id',
                   'channel': 'open_deal_snapshots.channel', 'campaign': 'open_deal_snapshots.campaign_id'}) }}
    where kpi_grain.entity_id is not null

),

by_snapshot as (

    select
        grain,
        entity_id,
        snapshot_date,
        count(*) as open_deals,
        coalesce(sum(amount), 0) as open_pipeline,
        trim_scale(coalesce(sum(amount * probability), 0)) as weighted_pipeline,
        trim_scale(avg(days_open)) as average_open_deal_age_days
    from fanned
    group by grain, entity_id, snapshot_date

),

snapshots_by_period as (

    -- each period's start and end snapshots side by side, joined on equalities only: the planner
    -- underestimates these CTEs and would compare every snapshot row with every key row otherwise
    select
        by_snapshot.grain,
        by_snapshot.entity_id,
        period_snapshots.period_grain,
        period_snapshots.period_start,
        max(by_snapshot.open_deals) filter (where by_snapshot.snapshot_date = period_snapshots.period_start)
            as open_deals_start,
        max(by_snapshot.open_pipeline) filter (where by_snapshot.snapshot_date = period_snapshots.period_start)
            as open_pipeline_start,
        max(by_snapshot.open_deals) filter (where by_snapshot.snapshot_date = period_snapshots.snapshot_end_date)
            as open_deals,
        max(by_snapshot.open_pipeline) filter (where by_snapshot.snapshot_date = period_snapshots.snapshot_end_date)
            as open_pipeline,
        max(by_snapshot.weighted_pipeline) filter (where by_snapshot.snapshot_date = period_snapshots.snapshot_end_date)
            as weighted_pipeline,
        max(by_snapshot.average_open_deal_age_days)
            filter (where by_snapshot.snapshot_date = period_snapshots.snapshot_end_date) as average_open_deal_age_days
    from by_snapshot
    inner join (
        select period_grain, period_start, snapshot_end_date, period_start as snapshot_date from periods
        union all
        select period_grain, period_start, snapshot_end_date, snapshot_end_date from periods
    ) as period_snapshots on by_snapshot.snapshot_date = period_snapshots.snapshot_date
    group by by_snapshot.grain, by_snapshot.entity_id, period_snapshots.period_grain, period_snapshots.period_start

),

keys as (

    select grain, entity_id, period_grain, period_start from snapshots_by_period
    union
    select 'company', 'company', period_grain, period_start from periods

),

final as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        periods.snapshot_end_date,
        coalesce(snapshots.open_deals_start, 0) as open_deals_start,
        coalesce(snapshots.open_pipeline_start, 0) as open_pipeline_start,
        coalesce(snapshots.open_deals, 0) as open_deals,
        coalesce(snapshots.open_pipeline, 0) as open_pipeline,
        coalesce(snapshots.weighted_pipeline, 0) as weighted_pipeline,
        snapshots.average_open_deal_age_days,
        {{ safe_divide('snapshots.weighted_pipeline', 'snapshots.open_pipeline') }} as pipeline_weighted_share
    from keys
    inner join periods
        on keys.period_grain = periods.period_grain
        and keys.period_start = periods.period_start
    left join snapshots_by_period as snapshots
        on {{ kpi_key_matches('keys', 'snapshots') }}

)

{{ kpi_rows_with_fingerprint(periods='periods_to_build') }}
