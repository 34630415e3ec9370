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
