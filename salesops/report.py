"""What is in the warehouse: row counts per raw table and quarantined rows, for summaries."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

RAW_SCHEMAS = ("raw_crm", "raw_marketing", "raw_sheets")


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
