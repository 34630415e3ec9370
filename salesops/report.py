"""What is in the warehouse, for summaries: row counts per raw table and quarantined rows, headline KPIs, the ML
outputs and the lead routing of a business day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from psycopg import sql

RAW_SCHEMAS = ("raw_crm", "raw_marketing", "raw_sheets")
LEAD_TABLES = ("callers", "leads", "lead_assignments", "unassigned_leads")
BUSINESS_TIMEZONE = "Asia/Kolkata"  # the assignment engine's default: its daily caps reset at local midnight


@dataclass(frozen=True)
class TableCount:
    schema: str
    table: str
    rows: int


def raw_table_counts(conn) -> list[TableCount]:
    """Exact row counts of every loaded raw table (dlt's bookkeeping tables left out)."""
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema = ANY(%s) AND table_name NOT LIKE '\\_dlt%%' ORDER BY 1, 2",
        (list(RAW_SCHEMAS),),
    ).fetchall()
    counts = []
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts.append(TableCount(schema, table, conn.execute(query).fetchone()[0]))
    return counts


def format_counts(counts: list[TableCount]) -> str:
    width = max((len(f"{c.schema}.{c.table}") for c in counts), default=10)
    lines = [f"  {f'{c.schema}.{c.table}':<{width}}  {c.rows:>10,}" for c in counts]
    return "\n".join(lines)


def headline_kpis(conn, kpi_codes: list[str]) -> tuple[object, dict[str, float]]:
    """Company-grain values of `kpi_codes` for the last complete month in `marts.kpi_values`."""
    month = conn.execute("SELECT last_complete_month_start FROM marts.int_kpi__as_of").fetchone()[0]
    rows = conn.execute(
        "SELECT kpi_code, value FROM marts.kpi_values WHERE grain = 'company' AND period_grain = 'month' "
        "AND period_start = %s AND kpi_code = ANY(%s)", (month, kpi_codes)).fetchall()
    return month, {code: float(value) for code, value in rows if value is not None}


def ml_summary(conn) -> list[str]:
    """Lines on the ML outputs: the company's forecast for the next fiscal quarters and the latest scores."""
    lines = []
    quarters = conn.execute("""
        select period_start, yhat, yhat_lower_80, yhat_upper_80 from ml.revenue_forecast
        where as_of_date = (select max(as_of_date) from ml.revenue_forecast)
            and node_id = 'company' and kind = 'combined' and period_grain = 'quarter'
        order by period_start limit 4""").fetchall()
    for start, yhat, low, high in quarters:
        lines.append(f"  bookings forecast, quarter from {start:%b %Y}: {yhat:,.0f} INR "
                     f"(80%: {low:,.0f} .. {high:,.0f})")
    deals = conn.execute("""
        select count(*), avg(win_probability), avg(crm_probability) from ml.deal_scores
        where as_of_date = (select max(as_of_date) from ml.deal_scores)""").fetchone()
    lines.append(f"  open deals scored: {deals[0]:,} (mean win probability {deals[1] or 0:.1%}, "
                 f"CRM stage probability {deals[2] or 0:.1%})")
    tiers = dict(conn.execute("""
        select tier, count(*) from ml.lead_scores where as_of_date = (select max(as_of_date) from ml.lead_scores)
        group by tier""").fetchall())
    lines.append("  leads scored: " + ", ".join(f"{tiers.get(t, 0):,} {t}" for t in ("hot", "warm", "cold")))
    return lines


def lead_routing_summary(conn, business_date: date | None = None, *, queue_entries: int = 5,
                         timezone: str = BUSINESS_TIMEZONE) -> list[str]:
    """Lines on the lead routing of `business_date` (default: the latest business date the engine routed a lead
    on), read from the ops tables: leads routed, then per caller the leads handed over that day, the daily limit
    and the utilisation, then the unassigned queue (open entries, oldest first). One line of explanation when
    the ops lead tables do not exist yet or hold nothing."""
    missing = [table for table in LEAD_TABLES
               if conn.execute("select to_regclass(%s)", (f"ops.{table}",)).fetchone()[0] is None]
    if missing:
        return ["  lead routing: no ops lead tables yet (no caller synced, no lead assigned)"]
    if business_date is None:
        business_date = conn.execute("""
            select greatest((select max(business_date) from ops.lead_assignments),
                            (select max(business_date) from ops.unassigned_leads))""").fetchone()[0]
    if business_date is None:
        callers = conn.execute("select count(*) from ops.callers where status <> 'inactive'").fetchone()[0]
        return [f"  lead routing: no lead routed yet ({callers:,} callers)"]
    assigned, fallback, manual, queued = conn.execute("""
        select count(*) filter (where routing_key <> 'manual'), count(*) filter (where routing_key = 'global'),
               count(*) filter (where routing_key = 'manual'),
               (select count(*) from ops.unassigned_leads where business_date = %(day)s)
        from ops.lead_assignments where business_date = %(day)s""", {"day": business_date}).fetchone()
    lines = [f"  business day {business_date:%Y-%m-%d}: {assigned + queued:,} leads routed, {assigned:,} assigned "
             f"({fallback:,} through the global fallback), {queued:,} queued; {manual:,} manual hand-overs"]
    callers = conn.execute("""
        select c.name, c.status, c.daily_limit, count(a.id) as assigned
        from ops.callers as c
        left join ops.lead_assignments as a on a.caller_id = c.id and a.business_date = %s
        group by c.id, c.name, c.status, c.daily_limit
        having c.status <> 'inactive' or count(a.id) > 0
        order by count(a.id) desc, c.name""", (business_date,)).fetchall()
    if callers:
        width = max(len("caller"), *(len(name) for name, *_ in callers))
        lines.append(f"  {'caller':<{width}}  {'status':<8}  {'assigned':>8}  {'limit':>9}  {'utilisation':>11}")
        for name, status, limit, count in callers:
            utilisation = f"{count / limit:.1%}" if limit else "-"
            lines.append(f"  {name:<{width}}  {status:<8}  {count:>8,}  {limit or 'unlimited':>9}  {utilisation:>11}")
    else:
        lines.append("  no callers")
    open_count = conn.execute("select count(*) from ops.unassigned_leads where resolved_at is null").fetchone()[0]
    lines.append(f"  unassigned queue: {open_count:,} open ({queued:,} queued on {business_date:%Y-%m-%d})"
                 + (", oldest first:" if open_count else ""))
    entries = conn.execute("""
        select (q.queued_at at time zone %s), l.name, coalesce(l.state, 'state unknown'), q.reason
        from ops.unassigned_leads as q join ops.leads as l on l.id = q.lead_id
        where q.resolved_at is null
        order by q.queued_at, q.lead_id
        limit %s""", (timezone, queue_entries)).fetchall()
    for queued_at, name, state, reason in entries:
        lines.append(f"    {queued_at:%Y-%m-%d %H:%M}  {name:<24.24}  {state:<16.16}  {reason}")
    if open_count > len(entries):
        lines.append(f"    ... and {open_count - len(entries):,} more")
    return lines
