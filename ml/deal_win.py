"""Deal win probability: how likely is an open deal to be won, from what was known about it on a given day.

Training rows are point-in-time snapshots. A deal is snapshotted at the start (midnight, Asia/Kolkata) of the
business day after it was created and then every `every_days` (14) days while it is still open. A snapshot
sees only information dated at or before its `snapshot_at`; its label `won` is the deal's eventual outcome, known
only for deals closed before the data's as_of date (`marts.int_kpi__as_of`). Snapshots from the last
`maturity_days` (90) before as_of are left out of training: most deals open then are still open, and the few
already closed are the quick ones (mostly quick losses), a skewed sample.

Features (all as of the snapshot):

* stage: the stage entered last before the snapshot (`fct_deal_stage_transitions`), `days_in_stage`,
  `stage_entries` (stages entered so far, re-entries included) and `backward_moves` (entries into an earlier
  stage than the previous one);
* `deal_age_days` since the first stage entry (the deal's creation);
* activities logged on the deal before the snapshot (`fct_activities`): `calls`, `emails`, `meetings` in total
  and in the last 14 and 30 days (`calls_14d`, ...), and `days_since_last_activity` (missing when none);
* the owner's record: `rep_win_rate`, won / closed of the rep's deals closed in the 365 days before the
  snapshot's day, shrunk towards the company-wide rate of the same window by `PRIOR_DEALS` pseudo-deals, and
  `rep_closed_365d`. The owner is the deal's current one (`fct_deals.rep_id`): the marts keep no ownership
  history;
* attributes fixed at creation: `list_amount` (quantity x the product's list price), `quantity`,
  `product_sku`, `deal_type`, `lead_source`, `is_marketing_sourced`, `region`.

Never used: `amount` (a won deal's amount is rewritten with the final discount at close, so it gives the
outcome away), close dates, cycle length, outcome flags, competitor, loss reason, discount, margin, the
deal-level activity totals of `fct_deals` (they count activities after the snapshot), and the current stage
or CRM probability. Each row carries the timestamp behind each feature group (`FEATURE_TIMESTAMPS`) and their
maximum `features_as_of`; training refuses rows where any is after `snapshot_at` (`assert_point_in_time`).

Model: LightGBM (categorical features native), stopped early and calibrated on a validation period, judged on
the latest period (the holdout) against the CRM baseline, the probability `dim_deal_stage` gives the stage
the deal was in at the snapshot. Splits are by snapshot date; a deal's snapshots never straddle two parts.

Daily scores go to `ml.deal_scores` (`write_deal_scores`), one row per deal open at the start of as_of_date,
primary key (deal_id, as_of_date):

* deal_id, as_of_date: the deal and the business day of the score (features see everything before it);
* win_probability: the calibrated probability of winning; crm_probability: the stage's CRM probability;
* stage: the deal's stage then; top_reasons: text[] of the 3 features moving the score most, as
  "days_in_stage +0.42" (signed contribution to the model's log-odds before calibration);
* features_as_of: latest source timestamp used; model_version; scored_at: when the row was written.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from ml.features import (
    BUSINESS_TIMEZONE,
    DEFAULT_SCHEMA,
    Connectable,
    TrainingResult,
    assert_features_point_in_time,
    data_as_of,
    read_frame,
    write_scores,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

SNAPSHOT_EVERY_DAYS = 14
LABEL_MATURITY_DAYS = 90
REP_WINDOW_DAYS = 365
PRIOR_DEALS = 10  # a rep with few closed deals is scored near the company rate
LABEL = "won"
ID_COLUMNS = ["deal_id", "snapshot_date"]
ACTIVITY_FEATURES = [f"{kind}{window}" for window in ("", "_14d", "_30d") for kind in ("calls", "emails", "meetings")]
STAGE_FEATURES = ["stage", "days_in_stage", "stage_entries", "backward_moves"]
REP_FEATURES = ["rep_win_rate", "rep_closed_365d"]
CREATION_FEATURES = ["deal_age_days", "list_amount", "quantity", "is_marketing_sourced", "product_sku", "deal_type",
                     "lead_source", "region"]
CATEGORICAL = ["stage", "product_sku", "deal_type", "lead_source", "region"]
FEATURE_TIMESTAMPS = {
    **dict.fromkeys(STAGE_FEATURES, "stage_entered_at"),
    **dict.fromkeys([*ACTIVITY_FEATURES, "days_since_last_activity"], "last_activity_at"),
    **dict.fromkeys(REP_FEATURES, "rep_history_as_of"),
    **dict.fromkeys(CREATION_FEATURES, "created_at"),
}
FEATURES = list(FEATURE_TIMESTAMPS)
NUMERIC = [name for name in FEATURES if name not in CATEGORICAL]
SCORES_TABLE = "deal_scores"
SCORES_COLUMNS = {
    "deal_id": "text not null",
    "as_of_date": "date not null",
    "win_probability": "double precision not null",
    "crm_probability": "double precision",
    "stage": "text",
    "top_reasons": "text[]",
    "features_as_of": "timestamptz",
    "model_version": "text not null",
    "scored_at": "timestamptz not null default now()",
}

# Training snapshots: the morning after creation, then every %(every)s days while open, up to as_of - maturity.
_TRAINING_SNAPSHOTS = """
    select deals.deal_id, deals.rep_id, day::date as snapshot_date,
        day::date::timestamp at time zone %(tz)s as snapshot_at
    from deals
    cross join as_of
    cross join lateral generate_series(
        ((deals.created_at at time zone %(tz)s)::date + 1)::timestamp,
        (as_of.as_of_date - %(maturity)s)::timestamp,
        make_interval(days => %(every)s)
    ) as day
    where deals.closed_at is null or deals.closed_at > day::date::timestamp at time zone %(tz)s
"""
# Scoring snapshots: every deal open at the start of as_of_date.
_SCORING_SNAPSHOTS = """
    select deals.deal_id, deals.rep_id, as_of.as_of_date as snapshot_date, as_of.as_of_at as snapshot_at
    from deals
    cross join as_of
    where deals.closed_at is null
"""
# One pass, no joins between per-snapshot results (whose sizes the planner misjudges into nested loops): each
# snapshot is a row in its rep's timeline of closed deals, then in its deal's timeline of stage entries and
# activities, and reads running totals there. "Before the snapshot" includes events at exactly snapshot_at.
# Deals closed on or after as_of look open (close time and label hidden), so a past as_of replays the past.
_FEATURES_SQL = """
with as_of as (
    select %(as_of)s::date as as_of_date, %(as_of)s::date::timestamp at time zone %(tz)s as as_of_at
),
created as (
    select deal_id, min(entered_at) as created_at from marts.fct_deal_stage_transitions group by deal_id
),
deals as (
    select
        d.deal_id, d.rep_id, d.product_sku, d.deal_type, d.lead_source, d.region, d.quantity,
        d.is_marketing_sourced, d.quantity * p.unit_price as list_amount, created.created_at,
        case when d.closed_at < as_of.as_of_at then d.closed_at end as closed_at,
        case when d.closed_at < as_of.as_of_at then d.is_won end as is_won
    from marts.fct_deals as d
    inner join created on created.deal_id = d.deal_id
    cross join as_of
    left join marts.dim_product as p on p.product_id = d.product_id
    where created.created_at < as_of.as_of_at
),
snapshots as ({snapshots}),
closes as (
    select
        rep_id, (closed_at at time zone %(tz)s)::date as day,
        count(*) as closed, count(*) filter (where is_won) as won, max(closed_at) as last_closed_at
    from deals
    where closed_at is not null
    group by 1, 2
),
record as (
    -- closed and won deals of the snapshot's rep, and of the whole company, in the window before its day
    select * from (
        select
            deal_id, snapshot_date, snapshot_at,
            coalesce(sum(closed) over rep_window, 0) as rep_closed,
            coalesce(sum(won) over rep_window, 0) as rep_won,
            coalesce(sum(closed) over company_window, 0) as all_closed,
            coalesce(sum(won) over company_window, 0) as all_won,
            max(last_closed_at) over company_history as rep_history_as_of
        from (
            select rep_id, day, closed, won, last_closed_at,
                null as deal_id, null::date as snapshot_date, null::timestamptz as snapshot_at
            from closes
            union all
            select rep_id, snapshot_date, 0, 0, null, deal_id, snapshot_date, snapshot_at
            from snapshots
        ) as probes
        window
            rep_window as (partition by rep_id order by day
                range between make_interval(days => %(window)s) preceding and interval '1 day' preceding),
            company_window as (order by day
                range between make_interval(days => %(window)s) preceding and interval '1 day' preceding),
            -- a running maximum (fixed frame start), not one recomputed over each row's window
            company_history as (order by day range between unbounded preceding and interval '1 day' preceding)
    ) as probed
    where deal_id is not null
),
timeline as (
    select
        deal_id, snapshot_at as at, snapshot_date, rep_closed, rep_won, all_closed, all_won, rep_history_as_of,
        null as stage_id, null::boolean as is_backward, null as activity_type
    from record
    union all
    select
        deal_id, entered_at, null, null, null, null, null, null, stage_id,
        coalesce(stage_order < lag(stage_order) over (partition by deal_id order by entered_at, transition_id), false),
        null
    from marts.fct_deal_stage_transitions
    where deal_id in (select deal_id from snapshots)
    union all
    select deal_id, occurred_at, null, null, null, null, null, null, null, null, activity_type
    from marts.fct_activities
    where deal_id in (select deal_id from snapshots)
),
running as (
    select
        timeline.*,
        count(stage_id) over upto as stage_entries,
        count(*) filter (where is_backward) over upto as backward_moves,
        {activity_counts},
        max(at) filter (where activity_type is not null) over upto as last_activity_at
    from timeline
    window
        upto as (partition by deal_id order by at),
        last_14d as (partition by deal_id order by at range between interval '14 days' preceding and current row),
        last_30d as (partition by deal_id order by at range between interval '30 days' preceding and current row)
),
staged as (
    -- the stage entered last: the first row of the rows sharing its running count of stage entries
    select
        running.*,
        first_value(stage_id) over stage_visit as stage,
        first_value(at) over stage_visit as stage_entered_at
    from running
    window stage_visit as (partition by deal_id, stage_entries order by stage_id is null, at)
)
select
    s.deal_id, s.snapshot_date, s.at as snapshot_at, as_of.as_of_date,
    greatest(d.created_at, s.stage_entered_at, s.last_activity_at, s.rep_history_as_of) as features_as_of,
    d.created_at, s.stage_entered_at, s.last_activity_at, s.rep_history_as_of,
    s.stage,
    stage.probability::float8 as crm_probability,
    extract(epoch from s.at - s.stage_entered_at)::float8 / 86400 as days_in_stage,
    s.stage_entries,
    s.backward_moves,
    {activity_columns},
    extract(epoch from s.at - s.last_activity_at)::float8 / 86400 as days_since_last_activity,
    case when s.all_closed > 0 then
        (s.rep_won + %(prior)s * s.all_won::float8 / s.all_closed) / (s.rep_closed + %(prior)s)
    end as rep_win_rate,
    s.rep_closed as rep_closed_365d,
    extract(epoch from s.at - d.created_at)::float8 / 86400 as deal_age_days,
    d.list_amount::float8 as list_amount,
    d.quantity::float8 as quantity,
    d.is_marketing_sourced::int as is_marketing_sourced,
    d.product_sku, d.deal_type, d.lead_source, d.region,
    d.is_won::int as won
from staged as s
cross join as_of
inner join deals as d on d.deal_id = s.deal_id
left join marts.dim_deal_stage as stage on stage.stage_id = s.stage
where s.snapshot_date is not null
order by s.snapshot_date, s.deal_id
"""
_WINDOWS = {"": "upto", "_14d": "last_14d", "_30d": "last_30d"}
_ACTIVITY_COUNTS = ",\n        ".join(
    f"count(*) filter (where activity_type = '{kind[:-1]}') over {window} as {kind}{suffix}"
    for suffix, window in _WINDOWS.items() for kind in ("calls", "emails", "meetings"))
_ACTIVITY_COLUMNS = ",\n    ".join(f"s.{name}" for name in ACTIVITY_FEATURES)


def _features(conn_or_url: Connectable, as_of: dt.date | None, snapshots: str, **params: Any) -> pd.DataFrame:
    """One query: the snapshot rows chosen by `snapshots` with every feature, label and source timestamp."""
    query = _FEATURES_SQL.format(snapshots=snapshots, activity_counts=_ACTIVITY_COUNTS,
                                 activity_columns=_ACTIVITY_COLUMNS)
    frame = read_frame(conn_or_url, query, {
        "as_of": as_of or data_as_of(conn_or_url), "tz": BUSINESS_TIMEZONE, "window": REP_WINDOW_DAYS,
        "prior": PRIOR_DEALS, **params})
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


def deal_snapshots(conn_or_url: Connectable, as_of: dt.date | None = None, *, every_days: int = SNAPSHOT_EVERY_DAYS,
                   maturity_days: int = LABEL_MATURITY_DAYS) -> pd.DataFrame:
    """Training snapshots (see the module docstring) as of `as_of` (default: the data's as_of date). `won` is
    missing for deals still open at as_of; training drops those rows."""
    return _features(conn_or_url, as_of, _TRAINING_SNAPSHOTS, every=every_days, maturity=maturity_days)


def open_deal_features(conn_or_url: Connectable, as_of: dt.date | None = None) -> pd.DataFrame:
    """One feature row per deal open at the start of `as_of` (default: the data's as_of date)."""
    return _features(conn_or_url, as_of, _SCORING_SNAPSHOTS)


def train_deal_win(snapshots: pd.DataFrame, *, seed: int = 0, params: dict[str, Any] | None = None,
                   valid_fraction: float = 0.15, test_fraction: float = 0.15) -> TrainingResult:
    """Fit on `deal_snapshots(...)` rows (refusing any that see past their snapshot) and measure the model and
    the CRM baseline on the holdout, the latest `test_fraction` of labelled snapshots. Same rows and seed, same
    model."""
    from ml.features.model import train_on_snapshots

    return train_on_snapshots(
        snapshots, label=LABEL, date_column="snapshot_date", numeric=NUMERIC, categorical=CATEGORICAL,
        feature_timestamps=FEATURE_TIMESTAMPS, id_columns=ID_COLUMNS, holdout_name="deals:snapshot_date",
        group_column="deal_id", references={"baseline": "crm_probability"}, seed=seed, params=params,
        valid_fraction=valid_fraction, test_fraction=test_fraction)


def score_open_deals(conn_or_url: Connectable, model: Pipeline, as_of: dt.date | None = None) -> pd.DataFrame:
    """Score every deal open at the start of `as_of`: the `ml.deal_scores` columns but model_version/scored_at."""
    from ml.features.model import probabilities, reasons

    frame = open_deal_features(conn_or_url, as_of)
    assert_features_point_in_time(frame, FEATURE_TIMESTAMPS, ID_COLUMNS)
    return pd.DataFrame({
        "deal_id": frame["deal_id"], "as_of_date": frame["as_of_date"],
        "win_probability": probabilities(model, frame), "crm_probability": frame["crm_probability"],
        "stage": frame["stage"], "top_reasons": reasons(model, frame), "features_as_of": frame["features_as_of"],
    })


def write_deal_scores(url: str, frame: pd.DataFrame, model_version: str, *, schema: str = DEFAULT_SCHEMA) -> int:
    """Write `score_open_deals` output to `schema.deal_scores`, replacing the rows of its as_of date(s)."""
    return write_scores(url, frame.assign(model_version=str(model_version)), table=SCORES_TABLE,
                        columns=SCORES_COLUMNS, key=["deal_id", "as_of_date"], replace_on="as_of_date", schema=schema)
