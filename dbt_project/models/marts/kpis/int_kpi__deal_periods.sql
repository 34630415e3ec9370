{{ kpi_period_incremental_config() }}

{#- Closed deals aggregated by grain x period of their close date, and the KPI formulas over them
    (bookings, win rates, deal size, cycle length, loss reasons, competition ...). The company grain
    has a row for every period, with zero counts where nothing closed. -#}
with deals as (

    -- the columns used: read twice, so the planner materializes it, and a narrow row stays in memory
    select
        deal_id,
        account_id,
        rep_id,
        team_id,
        region,
        territory_id,
        campaign_id,
        close_date,
        is_closed,
        is_won,
        is_lost,
        is_marketing_sourced,
        amount,
        margin_amount,
        discount_pct,
        quantity,
        cycle_days,
        competitor_name,
        loss_reason,
        activities,
        meetings
    from {{ ref('fct_deals') }}

),

campaigns as (

    select campaign_id, channel from {{ ref('dim_campaign') }}

),


first_wins as (

    -- an account becomes a new customer with its first won deal
    select
        deal_id,
        row_number() over (partition by account_id order by close_date, deal_id) = 1 as is_first_win
    from deals
    where is_won and account_id is not null

),

closed_deals as (

    select
        deals.deal_id,
        deals.account_id,
        deals.rep_id,
        deals.team_id,
        deals.region,
        deals.territory_id,
        deals.campaign_id,
        campaigns.channel,
        deals.close_date,
        deals.is_won,
        deals.is_lost,
        deals.is_marketing_sourced,
        deals.amount,
        deals.margin_amount,
        deals.discount_pct,
        deals.quantity,
        deals.cycle_days,
        deals.competitor_name,
        lower(deals.loss_reason) as loss_reason,
        deals.activities,
        deals.meetings,
        coalesce(first_wins.is_first_win, false) as is_new_customer_win
    from deals
    left join campaigns on deals.campaign_id = campaigns.campaign_id
    left join first_wins on deals.deal_id = first_wins.deal_id
    where deals.is_closed and deals.close_date is not null

),

periods as (

    {{ kpi_periods_to_build('closed_deals', 'closed_deals.close_date') }}

),

fanned as (

    select
        kpi_grain.grain,
        kpi_grain.entity_id,
        kpi_period.period_grain,
        kpi_period.period_start,
        closed_deals.*
    from closed_deals
    {{ kpi_periods('closed_deals.close_date') }}
    {{ kpi_grains({'region': 'closed_deals.region', 'team': 'closed_deals.team_id',
                   'rep': 'closed_deals.rep_id', 'territory': 'closed_deals.territory_id',
                   'channel': 'closed_deals.channel', 'campaign': 'closed_deals.campaign_id'}) }}
    inner join periods
        on kpi_period.period_grain = periods.period_grain
        and kpi_period.period_start = periods.period_start
    where kpi_grain.entity_id is not null

),

aggregated as (

    select
        grain,
        entity_id,
        period_grain,
        period_start,
        count(*) as closed_deals,
        count(*) filter (where is_won) as won_deals,
        count(*) filter (where is_lost) as lost_deals,
        coalesce(sum(amount) filter (where is_won), 0) as bookings,
        coalesce(sum(amount), 0) as closed_amount,
        coalesce(sum(amount) filter (where is_lost), 0) as lost_amount,
        coalesce(sum(margin_amount) filter (where is_won), 0) as won_margin_amount,
        coalesce(sum(quantity) filter (where is_won), 0) as units_sold,
        trim_scale(avg(discount_pct) filter (where is_won)) as avg_discount_pct,
        trim_scale(avg(cycle_days) filter (where is_won)) as avg_sales_cycle_days,
        trim_scale(avg(cycle_days) filter (where is_lost)) as avg_lost_cycle_days,
        count(distinct account_id) filter (where is_new_customer_win) as new_customers,
        count(distinct account_id) filter (where is_new_customer_win and is_marketing_sourced)
            as marketing_new_customers,
        coalesce(sum(amount) filter (where is_won and is_marketing_sourced), 0) as marketing_sourced_bookings,
        count(*) filter (where competitor_name <> 'No competitor') as competitive_closed_deals,
        count(*) filter (where competitor_name <> 'No competitor' and is_won) as competitive_won_deals,
        count(*) filter (where competitor_name = 'No competitor') as uncontested_closed_deals,
        count(*) filter (where competitor_name = 'No competitor' and is_won) as uncontested_won_deals,
        coalesce(sum(meetings) filter (where is_won), 0) as won_deal_meetings,
        coalesce(sum(activities) filter (where is_won), 0) as won_deal_activities,
        count(*) filter (where is_lost and loss_reason = 'price') as lost_on_price,
        count(*) filter (where is_lost and loss_reason = 'competitor') as lost_to_competitor,
        count(*) filter (where is_lost and loss_reason = 'budget') as lost_on_budget,
        count(*) filter (where is_lost and loss_reason = 'timing') as lost_on_timing,
        count(*) filter (where is_lost and loss_reason = 'no decision') as lost_no_decision,
        count(*) filter (where is_lost and loss_reason = 'product fit') as lost_on_product_fit
    from fanned
    group by grain, entity_id, period_grain, period_start

),

keys as (

    {{ kpi_company_keys() }}

),

filled as (

    select
        keys.grain,
        keys.entity_id,
        keys.period_grain,
        keys.period_start,
        coalesce(aggregated.closed_deals, 0) as closed_deals,
        coalesce(aggregated.won_deals, 0) as won_deals,
        coalesce(aggregated.lost_deals, 0) as lost_deals,
        coalesce(aggregated.bookings, 0) as bookings,
        coalesce(aggregated.closed_amount, 0) as closed_amount,
        coalesce(aggregated.lost_amount, 0) as lost_amount,
        coalesce(aggregated.won_margin_amount, 0) as won_margin_amount,
        coalesce(aggregated.units_sold, 0) as units_sold,
        aggregated.avg_discount_pct,
        aggregated.avg_sales_cycle_days,
        aggregated.avg_lost_cycle_days,
        coalesce(aggregated.new_customers, 0) as new_customers,
        coalesce(aggregated.marketing_new_customers, 0) as marketing_new_customers,
        coalesce(aggregated.marketing_sourced_bookings, 0) as marketing_sourced_bookings,
        coalesce(aggregated.competitive_closed_deals, 0) as competitive_closed_deals,
        coalesce(aggregated.competitive_won_deals, 0) as competitive_won_deals,
        coalesce(aggregated.uncontested_closed_deals, 0) as uncontested_closed_deals,
        coalesce(aggregated.uncontested_won_deals, 0) as uncontested_won_deals,
        coalesce(aggregated.won_deal_meetings, 0) as won_deal_meetings,
        coalesce(aggregated.won_deal_activities, 0) as won_deal_activities,
        coalesce(aggregated.lost_on_price, 0) as lost_on_price,
        coalesce(aggregated.lost_to_competitor, 0) as lost_to_competitor,
        coalesce(aggregated.lost_on_budget, 0) as lost_on_budget,
        coalesce(aggregated.lost_on_timing, 0) as lost_on_timing,
        coalesce(aggregated.lost_no_decision, 0) as lost_no_decision,
        coalesce(aggregated.lost_on_product_fit, 0) as lost_on_product_fit
    from keys
    left join aggregated
        on {{ kpi_key_matches('keys', 'aggregated') }}

),

final as (

    select
        filled.*,
        {{ safe_divide('won_deals', 'closed_deals') }} as win_rate_count,
        {{ safe_divide('bookings', 'closed_amount') }} as win_rate_amount,
        {{ safe_divide('lost_deals', 'closed_deals') }} as loss_rate_count,
        {{ safe_divide('bookings', 'won_deals') }} as average_deal_size,
        {{ safe_divide('won_margin_amount', 'bookings') }} as gross_margin_pct,
        {{ safe_divide('bookings', 'units_sold') }} as average_selling_price_per_unit,
        {{ safe_divide('marketing_sourced_bookings', 'bookings') }} as marketing_sourced_bookings_share,
        {{ safe_divide('competitive_won_deals', 'competitive_closed_deals') }} as competitive_win_rate,
        {{ safe_divide('uncontested_won_deals', 'uncontested_closed_deals') }} as uncontested_win_rate,
        {{ safe_divide('competitive_closed_deals', 'closed_deals') }} as competitor_presence_rate,
        {{ safe_divide('won_deal_meetings', 'won_deals') }} as meetings_per_won_deal,
        {{ safe_divide('won_deal_activities', 'won_deals') }} as activities_per_won_deal,
        {{ safe_divide('lost_on_price', 'lost_deals') }} as loss_share_price,
        {{ safe_divide('lost_to_competitor', 'lost_deals') }} as loss_share_competitor,
        {{ safe_divide('lost_on_budget', 'lost_deals') }} as loss_share_budget,
        {{ safe_divide('lost_on_timing', 'lost_deals') }} as loss_share_timing,
        {{ safe_divide('lost_no_decision', 'lost_deals') }} as loss_share_no_decision,
        {{ safe_divide('lost_on_product_fit', 'lost_deals') }} as loss_share_product_fit
    from filled

)

{{ kpi_rows_with_fingerprint() }}
