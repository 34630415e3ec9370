"""Lead scoring: how likely is a new lead to become a sales-qualified lead (`fct_leads.is_sql`), judged from its
first day.

Each lead is scored at a fixed point after it arrives, `snapshot_at` = lead_created_at + `horizon_hours` (24):
late enough to see the first behaviour and the first rep touch, early enough to route the lead. No feature
reads the lead's lifecycle status, so the label cannot show through. A lead younger than the horizon at
scoring time is scored with what is known at the start of as_of_date (fewer hours observed; `snapshot_at`
says when).

Features:

* firmographic, from the lead sheet: `industry`, `company_size`, `region`, `state`, `city`, `language`,
  `lead_source`, `channel`, the contact's `job_title`, and `personal_email` (the address is at a consumer mail
  provider, `FREEMAIL_DOMAINS`, rather than the company's domain);
* behavioural: the lead's contact's engagement events (`staging.stg_marketing__engagement_events`) between
  the lead's creation and the snapshot, by type: `page_views`, `pricing_page_views`, `email_opens`,
  `email_clicks`, `form_submissions`, `webinar_attendances`;
* first touch: `speed_to_lead_minutes` when a rep first engaged before the snapshot; otherwise censored at
  the minutes observed (the horizon) with `contacted_by_snapshot` = 0.

Label: `is_sql`, read as of the data; leads created within `maturity_days` (30) of as_of are left out of
training because their outcome is not known yet (an SQL can follow weeks after the lead arrives).

Model: the deal model's recipe (`ml.features.model`): split by creation date (train / validation for early
stopping and calibration / latest period as holdout), LightGBM, calibrated probabilities. `oracle_metrics`
compares it on the same holdout with the simulator's true conversion probabilities, a ceiling for any model.

Tiers, by the calibrated probability p against the base rate b (positive rate of the leads before the
holdout), so a tier means the same thing whatever the mix of leads: hot when p >= 2b (capped at (1 + b) / 2
for very high base rates), cold when p < b / 2 (at most half as likely as the average lead), warm between.
The thresholds are stored in the result (`tiers`) and must be passed to scoring with its model.

Scores go to `ml.lead_scores` (`write_lead_scores`), primary key (lead_id, as_of_date):

* lead_id, as_of_date: the lead and the business day of the scoring run; snapshot_at: the point in time the
  features describe; features_as_of: the latest source timestamp used;
* score: calibrated probability of becoming an SQL; tier: hot / warm / cold; top_reasons: text[] of the 3
  features moving the score most, as "pricing_page_views +0.42" (log-odds before calibration);
* model_version; scored_at: when the row was written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
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

HORIZON_HOURS = 24
LABEL_MATURITY_DAYS = 30
HOT_LIFT, COLD_LIFT = 2.0, 0.5
LEAD_PARAMS = {"cat_smooth": 50, "min_data_per_group": 200}  # smoother splits on sparse categories (city, title)
LABEL = "is_sql"
ID_COLUMNS = ["lead_id", "lead_date"]
EVENT_TYPES = {
    "page_view": "page_views",
    "pricing_page_view": "pricing_page_views",
    "email_open": "email_opens",
    "email_click": "email_clicks",
    "form_submission": "form_submissions",
    "webinar_attendance": "webinar_attendances",
}
FIRMOGRAPHIC = ["industry", "company_size", "region", "state", "city", "language", "lead_source", "channel",
                "job_title"]
FREEMAIL_DOMAINS = ("gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.in", "outlook.com", "hotmail.com",
                    "live.com", "rediffmail.com", "icloud.com", "protonmail.com", "aol.com")
TOUCH_FEATURES = ["speed_to_lead_minutes", "contacted_by_snapshot"]
FEATURE_TIMESTAMPS = {
    **dict.fromkeys([*FIRMOGRAPHIC, "personal_email"], "lead_created_at"),
    **dict.fromkeys(EVENT_TYPES.values(), "last_event_at"),
    **dict.fromkeys(TOUCH_FEATURES, "first_touch_seen_at"),
}
CATEGORICAL = FIRMOGRAPHIC
NUMERIC = [name for name in FEATURE_TIMESTAMPS if name not in CATEGORICAL]
TIERS = ("hot", "warm", "cold")
SCORES_TABLE = "lead_scores"
SCORES_COLUMNS = {
    "lead_id": "text not null",
    "as_of_date": "date not null",
    "snapshot_at": "timestamptz not null",
    "score": "double precision not null",
    "tier": "text not null",
    "top_reasons": "text[]",
    "features_as_of": "timestamptz",
    "model_version": "text not null",
    "scored_at": "timestamptz not null default now()",
}

_EVENT_COUNTS = ",\n        ".join(f"count(*) filter (where e.event_type = '{kind}') as {name}"
                                   for kind, name in EVENT_TYPES.items())
_FEATURES_SQL = f"""
with as_of as (
    select %(as_of)s::date as as_of_date, %(as_of)s::date::timestamp at time zone %(tz)s as as_of_at
),
leads as (
    select
        l.lead_id, l.lead_date, l.lead_created_at, l.contact_id, l.first_engagement_at,
        {", ".join(f"l.{name}" for name in FIRMOGRAPHIC if name != "job_title")}, sheet.job_title,
        lower(split_part(sheet.email, '@', 2)) = any(%(freemail)s) as personal_email,
        least(l.lead_created_at + make_interval(hours => %(horizon)s), as_of.as_of_at) as snapshot_at,
        case when l.lead_created_at < as_of.as_of_at - make_interval(days => %(maturity)s) then l.is_sql::int end
            as label
    from marts.fct_leads as l
    left join staging.stg_sheets__leads as sheet on sheet.lead_id = l.lead_id
    cross join as_of
    where l.lead_created_at < as_of.as_of_at
),
events as (
    select
        l.lead_id,
        {_EVENT_COUNTS},
        max(e.occurred_at) as last_event_at
    from leads as l
    inner join staging.stg_marketing__engagement_events as e
        on e.contact_id = l.contact_id and e.occurred_at >= l.lead_created_at and e.occurred_at <= l.snapshot_at
    group by l.lead_id
)
select
    l.lead_id, l.lead_date, l.snapshot_at, as_of.as_of_date,
    greatest(l.lead_created_at, ev.last_event_at, touch.first_touch_seen_at) as features_as_of,
    l.lead_created_at, ev.last_event_at, touch.first_touch_seen_at,
    {", ".join(f"coalesce(ev.{name}, 0) as {name}" for name in EVENT_TYPES.values())},
    extract(epoch from coalesce(touch.first_touch_seen_at, l.snapshot_at) - l.lead_created_at)::float8 / 60
        as speed_to_lead_minutes,
    (touch.first_touch_seen_at is not null)::int as contacted_by_snapshot,
    l.personal_email::int as personal_email,
    {", ".join(f"l.{name}" for name in FIRMOGRAPHIC)},
    l.label as {LABEL}
from leads as l
cross join as_of
cross join lateral (
    select case when l.first_engagement_at <= l.snapshot_at then l.first_engagement_at end as first_touch_seen_at
) as touch
left join events as ev on ev.lead_id = l.lead_id
order by l.lead_date, l.lead_id
"""


@dataclass(frozen=True)
class LeadScoringResult(TrainingResult):
    tiers: dict[str, float]  # lower probability bounds: {"hot": ..., "warm": ...}; below "warm" is cold
    base_rate: float  # positive rate of the labelled leads before the holdout
    tier_holdout: dict[str, dict[str, float]]  # per tier on the holdout: leads, share and actual SQL rate


def lead_snapshots(conn_or_url: Connectable, as_of: dt.date | None = None, *, horizon_hours: int = HORIZON_HOURS,
                   maturity_days: int = LABEL_MATURITY_DAYS) -> pd.DataFrame:
    """One feature row per lead created before `as_of` (default: the data's as_of date), described at
    `snapshot_at`; `is_sql` is missing for leads too recent to be labelled."""
    frame = read_frame(conn_or_url, _FEATURES_SQL, {
        "as_of": as_of or data_as_of(conn_or_url), "tz": BUSINESS_TIMEZONE, "horizon": horizon_hours,
        "maturity": maturity_days, "freemail": list(FREEMAIL_DOMAINS)})
    frame["lead_date"] = pd.to_datetime(frame["lead_date"])
    return frame


def tier_thresholds(base_rate: float) -> dict[str, float]:
    """Lower probability bounds of the hot and warm tiers (module docstring)."""
    return {"hot": min(HOT_LIFT * base_rate, (1 + base_rate) / 2), "warm": COLD_LIFT * base_rate}


def assign_tiers(scores: np.ndarray | pd.Series, thresholds: Mapping[str, float]) -> np.ndarray:
    p = np.asarray(scores, dtype=float)
    return np.where(p >= thresholds["hot"], "hot", np.where(p >= thresholds["warm"], "warm", "cold"))


def train_lead_scoring(snapshots: pd.DataFrame, *, seed: int = 0, params: dict[str, Any] | None = None,
                       valid_fraction: float = 0.15, test_fraction: float = 0.15) -> LeadScoringResult:
    """Fit on `lead_snapshots(...)` rows (refusing any that see past their snapshot); the holdout is the latest
    `test_fraction` of labelled leads by creation date. `params` override the toolkit's LightGBM defaults and
    `LEAD_PARAMS`. Tier thresholds come from the leads before the holdout."""
    from ml.features.model import probabilities, train_on_snapshots

    result = train_on_snapshots(
        snapshots, label=LABEL, date_column="lead_date", numeric=NUMERIC, categorical=CATEGORICAL,
        feature_timestamps=FEATURE_TIMESTAMPS, id_columns=ID_COLUMNS, holdout_name="leads:lead_date", seed=seed,
        params={**LEAD_PARAMS, **(params or {})}, valid_fraction=valid_fraction, test_fraction=test_fraction)
    labelled = snapshots[snapshots[LABEL].notna()]
    base_rate = float(labelled.loc[labelled["lead_date"] < result.holdout["lead_date"].min(), LABEL].mean())
    thresholds = tier_thresholds(base_rate)
    tiers = assign_tiers(probabilities(result.model, result.holdout), thresholds)
    actual = result.holdout[LABEL].to_numpy(dtype=float)
    tier_holdout = {tier: {"leads": int((tiers == tier).sum()), "share": float((tiers == tier).mean()),
                           "sql_rate": float(actual[tiers == tier].mean()) if (tiers == tier).any() else float("nan")}
                    for tier in TIERS}
    return LeadScoringResult(**vars(result), tiers=thresholds, base_rate=base_rate, tier_holdout=tier_holdout)


def oracle_metrics(result: TrainingResult, oracle: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The simulator's true conversion probabilities (`GET /_simulator/oracle/leads` results) against the
    observed labels of the holdout leads, beside the model on the same leads: how far the model is from the
    best any model could do. Holdout leads without an oracle record are left out (`n`)."""
    from ml.features.model import probabilities
    from ml.scoring import binary_metrics

    truth = {record["lead_id"]: record for record in oracle}
    matched = result.holdout[result.holdout["lead_id"].isin(truth)]
    y = matched[result.label].to_numpy(dtype=int)
    p_oracle = np.array([truth[lead]["conversion_probability"] for lead in matched["lead_id"]], dtype=float)
    converted = np.array([bool(truth[lead]["converted"]) for lead in matched["lead_id"]])
    return {"n": len(matched), "holdout_rows": len(result.holdout),
            "oracle": binary_metrics(y, p_oracle), "model": binary_metrics(y, probabilities(result.model, matched)),
            "label_agreement": float((converted == y.astype(bool)).mean()) if len(y) else None}


def score_all_leads(conn_or_url: Connectable, model: Pipeline, thresholds: Mapping[str, float],
                    as_of: dt.date | None = None, *, created_since: dt.date | None = None) -> pd.DataFrame:
    """Score every lead created before `as_of` (and on or after `created_since`, when given: old leads rarely
    need a fresh score, and their reasons cost ~0.2 ms a lead) with the model and its tier thresholds: the
    `ml.lead_scores` columns but model_version and scored_at."""
    from ml.features.model import probabilities, reasons

    frame = lead_snapshots(conn_or_url, as_of)
    if created_since is not None:
        frame = frame[frame["lead_date"] >= pd.Timestamp(created_since)]
    assert_features_point_in_time(frame, FEATURE_TIMESTAMPS, ID_COLUMNS)
    scores = probabilities(model, frame)
    return pd.DataFrame({
        "lead_id": frame["lead_id"], "as_of_date": frame["as_of_date"], "snapshot_at": frame["snapshot_at"],
        "score": scores, "tier": assign_tiers(scores, thresholds), "top_reasons": reasons(model, frame),
        "features_as_of": frame["features_as_of"],
    })


def write_lead_scores(url: str, frame: pd.DataFrame, model_version: str, *, schema: str = DEFAULT_SCHEMA) -> int:
    """Write `score_all_leads` output to `schema.lead_scores`, replacing the rows of its as_of date(s)."""
    return write_scores(url, frame.assign(model_version=str(model_version)), table=SCORES_TABLE,
                        columns=SCORES_COLUMNS, key=["lead_id", "as_of_date"], replace_on="as_of_date", schema=schema)
