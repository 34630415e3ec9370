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
    counts: dict[str, int] = {}
    for metrics in pipeline.last_trace.last_extract_info.metrics.values():
        for step in metrics:
            for table, table_metrics in step["table_metrics"].items():
                if not table.startswith("_dlt"):
                    counts[table] = counts.get(table, 0) + table_metrics.items_count
    return counts
