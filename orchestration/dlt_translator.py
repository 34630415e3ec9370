"""Maps dlt resources to the raw-layer asset keys; imported only inside runs (it pulls in dlt)."""

from dagster import AssetKey, AssetSpec
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData


class RawLayerTranslator(DagsterDltTranslator):
    """`raw/<system>/<resource>`: the keys the code location declares from the raw-table catalogue."""

    def __init__(self, system: str) -> None:
        self.system = system

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        return super().get_asset_spec(data).replace_attributes(
            key=AssetKey(["raw", self.system, data.resource.name]), deps=[])
