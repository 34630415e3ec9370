"""How dbt nodes become Dagster assets; imported only when preparing specs or running dbt (it pulls
in dagster_dbt and dbt-core, ~3 s of imports the code location must not pay)."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<name>` (e.g. `marts/fct_deals`), sources keyed by their `meta.dagster.asset_key`
    (`raw/crm/deals`, the dlt assets), groups by layer and domain (`marts_sales`, `staging`...)."""

    def __init__(self) -> None:
        # child tables (deals__dealstage_history...) are part of their root table's dlt asset
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True,
                                                               enable_duplicate_source_asset_keys=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type in ("seed", "snapshot"):
            return f"{resource_type}s"
        folders = dbt_resource_props["fqn"][1:-1]
        if not folders:
            return "warehouse"
        return "_".join(folders[:2]) if folders[0] == "marts" else folders[0]
