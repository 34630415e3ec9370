"""Lead scores from the ML pipeline (`ml.lead_scores`), when the warehouse has them.

The scores are keyed by the lead's id in the lead sheet's metadata (`lead_id`); brand-new leads are usually not
scored yet, so a missing score is normal and routing never waits for one. The score is stored on the assignment
and named in its reason, so callers can see which leads matter most.
"""

from __future__ import annotations

from collections.abc import Iterable

SCORES_TABLE = "ml.lead_scores"


def scores_available(conn) -> bool:
    """Whether the warehouse has a lead-scores table at all (the ML job may never have run)."""
    return conn.execute("select to_regclass(%s) is not null", (SCORES_TABLE,)).fetchone()[0]


def latest_scores(conn, external_ids: Iterable[str]) -> dict[str, float]:
    """The most recent score of each lead id that has one."""
    ids = sorted(set(external_ids))
    if not ids:
        return {}
    rows = conn.execute(f"""
        select distinct on (lead_id) lead_id, score from {SCORES_TABLE}
        where lead_id = any(%s) order by lead_id, as_of_date desc""", (ids,)).fetchall()
    return {lead_id: float(score) for lead_id, score in rows}
