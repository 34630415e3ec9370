"""Raw-layer assets: one multi-asset per source system, keyed `raw/<system>/<table>`.

The specs come from the raw-table catalogue, so loading the code location never imports dlt; the
run itself builds the source from configuration (or the simulator) and executes it through
dagster-dlt, one concurrency pool per pipeline.
"""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, multi_asset

from ingestion.catalog import RAW_TABLES
from orchestration.resources import WarehouseResource

SYSTEM_APIS = {
    "crm": "HubSpot CRM v3",
    "marketing": "HubSpot Marketing (Campaigns v3, Events v3)",
    "sheets": "Google Sheets API v4",
}


def raw_asset_key(system: str, table: str) -> AssetKey:
    return AssetKey(["raw", system, table])


def raw_asset_specs(system: str) -> list[AssetSpec]:
    return [
        AssetSpec(
            key=raw_asset_key(system, table),
            group_name=system,
            description=f"{text}\n\nTable `raw_{system}.{table}`, loaded by dlt from {SYSTEM_APIS[system]}.",
            kinds={"dlt", "postgres"},
            tags={"layer": "raw"},
            metadata={"dagster/table_name": f"raw_{system}.{table}"},
        )
        for table, text in RAW_TABLES[system].items()
    ]


def build_ingestion_assets(system: str) -> AssetsDefinition:
    """The multi-asset loading one source system; a subset selection loads only those tables."""

    @multi_asset(name=f"{system}_ingestion", specs=raw_asset_specs(system), can_subset=True, pool=f"dlt_{system}")
    def ingestion_assets(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
        from dagster_dlt import DagsterDltResource

        from ingestion.pipelines import LOADER_FILE_FORMAT, configured_source, index_raw_keys, make_pipeline
        from orchestration.dlt_translator import RawLayerTranslator

        pipeline = make_pipeline(system, warehouse.connection_url())
        yield from DagsterDltResource().run(
            context=context,
            dlt_source=configured_source(system),
            dlt_pipeline=pipeline,
            dagster_dlt_translator=RawLayerTranslator(system),
            loader_file_format=LOADER_FILE_FORMAT,
        )
        index_raw_keys(pipeline)

    return ingestion_assets


ingestion_assets = [build_ingestion_assets(system) for system in RAW_TABLES]
