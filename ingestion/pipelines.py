"""One dlt pipeline per source system, loading into the warehouse's `raw_<system>` schema.

Schema contracts: new tables and columns evolve freely (HubSpot portals grow custom properties),
but a column whose data type changes stops the load with an error naming the table and column,
before anything is written.
"""

from __future__ import annotations

from typing import Any

from ingestion.catalog import RAW_TABLES

SYSTEMS = tuple(RAW_TABLES)
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}
LOADER_FILE_FORMAT = "csv"  # PostgreSQL loads it with COPY: about 3x faster than INSERT batches


def dataset_name(system: str) -> str:
    return f"raw_{system}"


def make_pipeline(system: str, warehouse_url: str | None = None) -> Any:
    """The dlt pipeline of `system`; without a URL the destination resolves at run time."""
    import dlt

    from salesops.settings import dlt_pipelines_dir

    destination = dlt.destinations.postgres(credentials=warehouse_url) if warehouse_url else dlt.destinations.postgres()
    return dlt.pipeline(
        pipeline_name=f"{system}_to_warehouse",
        destination=destination,
        dataset_name=dataset_name(system),
        pipelines_dir=str(dlt_pipelines_dir()),
    )


def index_raw_keys(pipeline: Any) -> None:
    """Index, once, what the warehouse looks rows up by: the merge key of every merged table (unique on
    the primary key of root tables, plain on the root key of nested ones), the incremental cursor, and
    the ids of nested id lists (HubSpot associations, read from either end).

    dlt's postgres destination creates only the `_dlt_id` unique index. Its merge deletes the previous
    version of each incoming row by that key and deduplicates a load on it, so a root table holds one row
    per primary key; the unique index says so to the warehouse. The staging views then read such a table
    as is instead of looking for newer versions of each row (macro `latest_versions`), and dlt's merge
    deletes find rows by index instead of scanning. A table that already holds duplicates (loaded before
    by other means) gets a plain index and keeps being deduplicated in staging.
    The cursor (the column dlt marks `incremental`, when a row last changed) is what the daily dbt run
    reads new rows by: its incremental models and windowed tests then read one day, not the table.
    """
    from dlt.common.schema.utils import get_columns_names_with_prop, get_write_disposition

    schema = pipeline.default_schema
    with pipeline.sql_client() as client:
        for table in schema.data_tables():
            qualified = client.make_qualified_table_name(table["name"])
            if client.execute_sql("SELECT to_regclass(%s)", qualified)[0][0] is None:
                continue
            primary_key = get_columns_names_with_prop(table, "primary_key")
            if get_write_disposition(schema.tables, table["name"]) == "merge":
                keys = primary_key or get_columns_names_with_prop(table, "root_key")
                if keys:
                    _create_index(client, table["name"], "merge_key", keys, unique=bool(primary_key))
            for cursor in get_columns_names_with_prop(table, "incremental"):
                if primary_key[:1] != [cursor]:  # else the key's index serves it
                    _create_index(client, table["name"], f"{cursor[:10]}_cursor", [cursor], unique=False)
            if table.get("parent") and "value" in table["columns"]:  # a nested list of ids, looked up by id
                _create_index(client, table["name"], "value", ["value"], unique=False)


def _create_index(client: Any, table: str, suffix: str, keys: list[str], unique: bool) -> None:
    """`CREATE INDEX IF NOT EXISTS <table>__<suffix>`; a unique one that the rows break is created plain."""
    from dlt.destinations.exceptions import DatabaseException

    index = client.escape_column_name(f"{table[:48]}__{suffix}")
    columns = ", ".join(client.escape_column_name(key) for key in keys)
    create = f"CREATE {{}}INDEX IF NOT EXISTS {index} ON {client.make_qualified_table_name(table)} ({columns})"
    if not unique:
        client.execute_sql(create.format(""))
        return
    try:
        with client.begin_transaction():
            client.execute_sql(create.format("UNIQUE "))
    except DatabaseException:
        client.execute_sql(create.format(""))


def make_source(system: str, **kwargs: Any) -> Any:
    """The dlt source of `system`, under the schema contract; keyword arguments are its connection settings."""
    if system == "crm":
        from ingestion.crm import crm_source as source_function
    elif system == "marketing":
        from ingestion.marketing import marketing_source as source_function
    elif system == "sheets":
        from ingestion.sheets import sheets_source as source_function
    else:
        raise ValueError(f"unknown source system {system!r}; expected one of {', '.join(SYSTEMS)}")
    source = source_function(**kwargs)
    source.schema_contract = SCHEMA_CONTRACT
    return source


def configured_source(system: str) -> Any:
    """The source of `system` pointed at its configured endpoint (or the simulator)."""
    from ingestion.endpoints import resolve_endpoint

    return make_source(system, **resolve_endpoint(system).source_kwargs())


def run_pipeline(system: str, warehouse_url: str, source: Any | None = None) -> dict[str, int]:
    """Load `system` (its configured source unless one is given); return items extracted per table.

    A package left pending by a crashed or failed run is dropped first: loads merge on primary
    keys and the cursors live in the destination, so extracting again is always safe. Counts come
    from extraction (dlt's CSV writer reports cells, not rows, in its normalize metrics).
    """
    pipeline = make_pipeline(system, warehouse_url)
    pipeline.abort_packages()
    load_info = pipeline.run(source if source is not None else configured_source(system),
                             loader_file_format=LOADER_FILE_FORMAT)
    load_info.raise_on_failed_jobs()
    index_raw_keys(pipeline)
    counts: dict[str, int] = {}
    for metrics in pipeline.last_trace.last_extract_info.metrics.values():
        for step in metrics:
            for table, table_metrics in step["table_metrics"].items():
                if not table.startswith("_dlt"):
                    counts[table] = counts.get(table, 0) + table_metrics.items_count
    return counts
